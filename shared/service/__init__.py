"""What every service does alike: one path for an RPC — caller, role, payload, use case,
response, refusal (entrypoint) — and what a caller learns of a fault that is not its own (faults)."""
