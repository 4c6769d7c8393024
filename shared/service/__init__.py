"""What every service does alike: the base class of every service class (base: health, the
calendar watch, `_run` / `_write`, refusals recorded through the service's store), one path for
an RPC — caller, role, payload, use case, response, refusal (entrypoint) — the interfaces of
what a use case is handed (ports), and what a caller learns of a fault that is not its own
(faults)."""
from shared.service.base import Service

__all__ = ["Service"]
