"""The vault's commands: one function per write RPC and timer tick (ingest, holds and
disposal, the fixity audit, case archive packages, rendered documents)."""
from services.vault.usecases.documents import store_attachment, store_document
from services.vault.usecases.fixity import audit_fixity, audit_tick
from services.vault.usecases.holds import approve_disposal, request_disposal, set_legal_hold
from services.vault.usecases.ingest import begin_upload, complete_upload, receive_upload
from services.vault.usecases.package import on_archive_due, verify_package

__all__ = ["approve_disposal", "audit_fixity", "audit_tick", "begin_upload", "complete_upload",
           "on_archive_due", "receive_upload", "request_disposal", "set_legal_hold",
           "store_attachment", "store_document", "verify_package"]
