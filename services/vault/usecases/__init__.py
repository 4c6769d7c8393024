"""The vault's commands: one function per write RPC and timer tick (ingest, holds and
disposal, the fixity audit)."""
from services.vault.usecases.fixity import audit_fixity, audit_tick
from services.vault.usecases.holds import approve_disposal, request_disposal, set_legal_hold
from services.vault.usecases.ingest import begin_upload, complete_upload, receive_upload

__all__ = ["approve_disposal", "audit_fixity", "audit_tick", "begin_upload", "complete_upload",
           "receive_upload", "request_disposal", "set_legal_hold"]
