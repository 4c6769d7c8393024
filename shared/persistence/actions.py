"""A service's log of who did what to one of its records (a review's, a stored object's, a
publication's): one row per act — the subject, when, the actor by id and role, the action and
its body. Each service has its own table of this shape; writing a row is the same for all."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def log_act(session: Session, table: Table, subject_column: str, subject: str, actor: Any,
            action: str, body: dict, now: datetime) -> None:
    """One row of `table` in the caller's transaction; `actor` an Actor or its {"id", "role"}."""
    ref = actor if isinstance(actor, dict) else {"id": actor.id, "role": actor.role}
    session.execute(insert(table), {subject_column: subject, "at": now, "actor_id": ref["id"],
                                    "actor_role": ref["role"], "action": action, "body": body})
