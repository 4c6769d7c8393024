"""The vault's write-once object store: one contract (`ObjectStore`), two backends — the
embedded local directory (`local`) and any S3 service with Object Lock (`s3`, through the
`minio` SDK) — held to the same refusals by the same tests:

- an object is written once under its key; a second write to the key is refused (write_once);
- it is locked until a moment (COMPLIANCE by default, GOVERNANCE where configured) or for
  ever (`until` None); its retention may be extended, never shortened under COMPLIANCE (the
  vault refuses it itself: moto does not, and a store that did not is no reason to allow it),
  under GOVERNANCE only with `bypass`;
- a legal hold, independent of the retention, keeps it beyond any date;
- it is deleted only once both have passed (retention_active, legal_hold);
- what was written is hashed while it streams in (constant memory, yielding between chunks), so
  the digests the vault records are those of the bytes stored; a write whose digests differ from
  those expected is undone before it is locked (digest_mismatch);
- content found corrupt is replaced only by content whose digest is the recorded one (restore).

Uploads arrive in a staging area first (the local store's upload endpoint, a presigned PUT into
the S3 staging bucket); `commit_staged` moves them into the store with the same checks."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from shared.errors import ConfigurationError, DomainRuleViolated, NotFound

MODES = ("COMPLIANCE", "GOVERNANCE")
# what a permanent retention is written as where a store needs a date (S3's retain-until)
FOREVER = datetime(2999, 12, 31, tzinfo=UTC)


class Refused(DomainRuleViolated):
    """The store refused an act its locks forbid; `details["rule"]` names the lock."""


def refused(rule: str, message: str, key: str, *, message_zh: str,
            **details: object) -> Refused:
    return Refused(message, message_zh=message_zh, details={"rule": rule, "key": key, **details})


def stored_once(key: str) -> Refused:
    return refused("write_once", f"{key} is already stored: an object is written once", key,
                   message_zh=f"{key} 已存储：对象只写一次（write-once），不得再次写入")


def not_as_declared(key: str, wrong: dict) -> Refused:
    return refused("digest_mismatch", f"what arrived for {key} does not hash to the digest "
                   "declared for it: nothing was stored", key,
                   message_zh=f"{key} 收到的内容与声明的摘要不符：未存储任何内容", digests=wrong)


def not_recorded_content(key: str, wrong: dict) -> Refused:
    return refused("digest_mismatch", f"the copy offered to restore {key} is not the content "
                   "recorded for it", key,
                   message_zh=f"用于恢复 {key} 的副本与记录的内容不符（摘要不一致）", digests=wrong)


def not_deletable(key: str, why: str) -> Refused:
    return refused(why, f"{key} may not be deleted: " + (
        "it is under legal hold" if why == "legal_hold" else "its retention has not expired"),
        key, message_zh=f"{key} 不得删除：" + (
            "该对象处于法律冻结（legal hold）状态" if why == "legal_hold"
            else "其保存期限尚未届满"))


def no_object(key: str) -> NotFound:
    return NotFound(f"no object {key} in the store", message_zh=f"存储中没有对象 {key}",
                    details={"key": key})


@dataclass(frozen=True)
class Lock:
    """How an object is held: retention mode, until when (None: for ever), legal hold."""
    mode: str = "COMPLIANCE"
    until: datetime | None = None
    legal_hold: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigurationError(f"retention mode must be one of {MODES}, not {self.mode!r}",
                                     message_zh=f"保存模式（retention mode）应为下列之一："
                                     f"{'、'.join(MODES)}，而不是 {self.mode!r}")

    def holds_at(self, at: datetime) -> str | None:
        """Why the object may not be deleted at `at` (a rule code), or None."""
        if self.legal_hold:
            return "legal_hold"
        if self.until is None or self.until > at:
            return "retention_active"
        return None


def later_or_same(new: datetime | None, old: datetime | None) -> bool:
    """Whether `new` keeps at least as long as `old` (None: for ever)."""
    if new is None:
        return True
    return old is not None and new >= old


def check_retention_change(key: str, old: Lock, new: Lock, *, bypass: bool = False) -> None:
    """The change of retention a store may make, whatever the store itself would allow: under
    COMPLIANCE never shorter nor turned into GOVERNANCE; under GOVERNANCE shorter only with
    `bypass` (the GOVERNANCE bypass right)."""
    if old.mode == "COMPLIANCE" and new.mode != "COMPLIANCE":
        raise refused("retention_shortened", f"{key} is under COMPLIANCE retention: its mode "
                      "cannot be changed", key, mode=old.mode,
                      message_zh=f"{key} 处于合规模式（COMPLIANCE）保存期：不得变更其保存模式")
    if later_or_same(new.until, old.until):
        return
    if old.mode == "GOVERNANCE" and bypass:
        return
    raise refused("retention_shortened",
                  f"{key} is retained until {_moment(old.until)} under {old.mode}: its "
                  f"retention cannot be shortened to {_moment(new.until)}", key,
                  message_zh=f"{key} 以 {old.mode} 模式保存（保存期限：{_moment_zh(old.until)}）："
                  f"其保存期限不得缩短为 {_moment_zh(new.until)}",
                  mode=old.mode, until=_moment(old.until), asked=_moment(new.until))


def _moment(value: datetime | None) -> str:
    return "permanent" if value is None else value.isoformat()


def _moment_zh(value: datetime | None) -> str:
    return "永久" if value is None else value.isoformat()


@dataclass(frozen=True)
class Written:
    """What a store holds under a key: its size, digests (hex, by algorithm), lock, the
    store's own version of it (S3's version id; None for the local store)."""
    key: str
    size: int
    digests: dict[str, str]
    lock: Lock
    version: str | None = None
    extra: dict = field(default_factory=dict)


class ObjectStore(Protocol):
    kind: str       # "local" | "s3"
    where: str      # the directory or the endpoint/bucket, for the records

    def put(self, key: str, stream: BinaryIO, *, lock: Lock, algorithms: Sequence[str],
            expect: dict[str, str] | None = None) -> Written:
        """Stream `stream` in under `key` (refused if the key holds an object), hashing it;
        with digests differing from `expect` nothing is kept (digest_mismatch); else locked."""
        ...

    def commit_staged(self, upload_id: str, key: str, *, lock: Lock,
                      algorithms: Sequence[str], expect: dict[str, str],
                      verified: dict[str, str] | None = None) -> Written:
        """`put` of what was uploaded under `upload_id`; the staged copy is then discarded.
        `verified`: the digests the vault has just read the staged bytes to (while copying
        them to the replica); a store that keeps the staged file as it is (the local store)
        need not read it again, one that copies it hashes what it copies."""
        ...

    def open_staged(self, upload_id: str) -> AbstractContextManager[BinaryIO]:
        """What was uploaded under `upload_id`, to be read in chunks."""
        ...

    def stat(self, key: str) -> Written:
        """What the store holds under `key` (its recorded digests), or NotFound."""
        ...

    def exists(self, key: str) -> bool:
        ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The stored bytes, to be read in chunks."""
        ...

    def digest(self, key: str, algorithms: Sequence[str]) -> dict[str, str]:
        """The digests of the bytes stored now, read in chunks (the fixity audit)."""
        ...

    def retain(self, key: str, lock: Lock, *, bypass: bool = False) -> Written:
        """Set the retention (mode, until) to `lock`'s: extending always, shortening never under
        COMPLIANCE (check_retention_change)."""
        ...

    def hold(self, key: str, on: bool) -> Written:
        """Put the legal hold on or take it off."""
        ...

    def delete(self, key: str, *, at: datetime) -> None:
        """Remove the object: refused while it is held or retained at `at`."""
        ...

    def restore(self, key: str, stream: BinaryIO, *, algorithms: Sequence[str],
                expect: dict[str, str], lock: Lock) -> Written:
        """Replace the bytes of `key` by `stream`, only when they hash to `expect` (the digests
        the vault recorded for it: repair of corrupt content from the other copy), held by
        `lock` (the one the vault recorded: what now sits under the key may carry none)."""
        ...

    def upload_target(self, upload_id: str, size: int, *, expires_seconds: int,
                      base_url: str | None = None) -> dict:
        """Where the caller sends the bytes: {"method", "url", "headers"}."""
        ...

    def stage(self, upload_id: str, stream: BinaryIO, *, limit: int) -> int:
        """Receive an upload into the staging area, at most `limit` bytes; returns its size."""
        ...

    def staged_size(self, upload_id: str) -> int | None:
        """The size of what was uploaded under `upload_id`, None if nothing was."""
        ...

    def discard_staged(self, upload_id: str) -> None:
        ...
