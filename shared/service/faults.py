"""What a caller learns when a request fails for a reason that is not its own: never the
fault's text. A driver error says which table, constraint or value broke, a Python
exception names files and lines; neither is the caller's business, and both tell an
attacker how the service is built.

- a passing database fault (shared.persistence.transient: connection lost, too many connections, the
  database starting or shutting down, a serialisation failure, a deadlock, a pool timeout,
  SQLite busy) is answered `unavailable` (details.retry true): the transaction was rolled back, the
  same request may be sent again;
- any other exception that is not a Sanxiang error is answered `internal_error`;

each with details.incident, a fresh id under which the service logs the method and the
full traceback, so an operator can find what a caller reports."""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable

from shared.errors import InternalError, SanxiangError, Unavailable
from shared.persistence.transient import is_transient

log = logging.getLogger(__name__)

def contained(entry: Callable) -> Callable:
    """Wrap an RPC's handling so that only Sanxiang errors leave it (see the module)."""

    @functools.wraps(entry)
    def run(contract, method, *args, **kwargs):
        try:
            return entry(contract, method, *args, **kwargs)
        except SanxiangError:
            raise
        except Exception as exc:
            raise answer(exc, f"{contract.service}.{method}") from None

    return run


def answer(exc: Exception, where: str) -> SanxiangError:
    """The error a caller gets for `exc`, logged with its traceback under a new incident id."""
    incident = uuid.uuid4().hex
    if is_transient(exc):
        log.warning("%s: unavailable, incident %s", where, incident, exc_info=exc)
        return Unavailable("the service could not reach its database; nothing was written, "
                           "send the request again", details={"retry": True, "incident": incident},
                           message_zh="服务无法连接其数据库：未写入任何内容，请重新发送请求"
                                      f"（事件编号 {incident}）")
    log.error("%s: internal error, incident %s", where, incident, exc_info=exc)
    return InternalError("the service failed; quote the incident id to its operator",
                         details={"incident": incident},
                         message_zh=f"服务内部出错；请向运维人员提供事件编号 {incident}")
