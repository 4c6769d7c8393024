"""Commands of the disclosure publisher, one function per write RPC, event and timer tick: a
publication's draft (drafts), its review and withdrawal (review), its clock (clock)."""
from services.disclosure.usecases.clock import check_deadlines
from services.disclosure.usecases.drafts import create_draft, on_decision_issued
from services.disclosure.usecases.redactions import resolve_redactions
from services.disclosure.usecases.review import review_publication, withdraw_publication
from services.disclosure.usecases.windows import check_windows, record_credit_repair

__all__ = ["check_deadlines", "create_draft", "on_decision_issued", "resolve_redactions",
           "review_publication", "withdraw_publication", "check_windows", "record_credit_repair"]
