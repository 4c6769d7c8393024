"""What the vault's commands share: an object's key in the store, its lock, and a refusal kept
on record in its own transaction."""
from __future__ import annotations

from datetime import date, datetime

from services.vault import domain, store
from services.vault.storage import Lock
from services.vault.storage.config import Stores
from shared.errors import SanxiangError
from shared.persistence.db import Db
from shared.trust.actor import Actor


def key_of(agency: str, sha256: str) -> str:
    """Content addressed: an agency's object is stored under its SHA-256."""
    return f"{agency}/sha256/{sha256[:2]}/{sha256}"


def lock_of(stores: Stores, retain_until: date | None, legal_hold: bool,
            mode: str | None = None) -> Lock:
    return Lock(mode or stores.mode, domain.lock_until(retain_until), legal_hold)


def keep_refusal(db: Db, subject: str, actor: Actor | dict, action: str, exc: SanxiangError,
                 now: datetime) -> None:
    """A refusal the rules made (a digest that does not match, a disposal asked too early) is
    recorded in a transaction of its own before it reaches the caller."""
    with db.transaction() as session:
        store.log(session, subject, actor, "refused", {"action": action, "code": exc.code,
                                                      "reason": exc.message,
                                                      "details": exc.details}, now)
