"""Every write RPC happens once: a repeated request returns the first answer and writes nothing.

Why: nameko acknowledges an RPC request after it has replied. A service that dies, freezes
past the broker's heartbeat or loses the broker between its commit and that ack gets the
request again and would run it again — a second entry in an append-only chain that nobody
may delete. And a caller whose call timed out cannot tell whether it ran.

How (shared.service.entrypoint.handle runs every contract method with `writes` this way):

- **The key.** The caller's own key when it sends one — message header
  `nameko.idempotency_key` (1 to 128 printable characters), which a caller keeps when it
  retries — otherwise the request's own identity: the AMQP `correlation_id`, which a
  redelivery keeps (shared.messaging.rpc puts it into the call's context). A caller key is scoped by
  caller (agency and actor id) and method: two actors, or two methods, never share one.
- **The fingerprint.** SHA-256 of the validated request. The same caller key with another
  request is refused (`idempotency_key_reused`, a Conflict, recorded as refusals are) and
  writes nothing. A correlation id is not a promise of the caller's, so without a caller key
  the fingerprint is part of the key: the same correlation id with another request is another
  request.
- **The record.** One row of the service's `idempotency` table — the key, the fingerprint
  and the call's answer (the contract's dumped response, as JSON) — written in the
  transaction of the write itself, so there is never a write without its record, nor a
  record without its write. The key is claimed by the first statement of that transaction:
  on PostgreSQL a transaction-level advisory lock on the call's identity and a look for the
  record (PG_CLAIM_FUNCTION), sent with BEGIN and the use case's own first statement, and the
  record inserted with the COMMIT — no round trip of its own, and no UPDATE right for the
  service's role; on SQLite, whose writers take turns anyway, INSERT OR IGNORE at BEGIN and the
  answer written into that row before COMMIT.
- **A duplicate** finds the record and answers with the stored answer; a concurrent duplicate
  (a second instance got the redelivery while the first is frozen) waits on the first's claim
  until the first's transaction ends, then does the same — or, if the first rolled back, runs.
- **A failed call** (any error) rolls back its claim with its writes: nothing is stored and a
  retry runs afresh.

The call's use case keeps its own `with db.transaction()`: while a call runs in a Scope,
Db.transaction() of that greenthread opens the scope's transaction the first time (claiming
the key) and joins it after, and Db.read()/autocommit() join it once open, so the use case
reads what it wrote; the transaction commits when the answer is stored. A transaction of the
call that fails ends the scope's at once (rolled back); anything the use case then writes
before raising (a refusal it keeps on record) commits on its own, as it would without a scope.

Work a use case does before its first transaction (a render, a peer's call) is repeated by a
duplicate, which then finds the record and answers the stored answer. A call made from inside
a write forwards the caller's key with the rest of the call's context (records' call to the
review board), so a retry is once-only there too. Records are kept (the service's role has no
DELETE); each is a few hundred bytes besides the answer — a render's answer holds its
documents. Events are once-only apart from this: each consumer remembers the message ids it
handled in its `inbox`, in the transaction of the effect (shared.messaging.consumer.once)."""
from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from shared.errors import Conflict, IdempotencyKeyReused, ValidationFailed
from shared.persistence.db import Db, begin_with, commit_with, driver_fetch
from shared.persistence.schema import UtcDateTime, service_metadata

# context data of the call (nameko: header `nameko.<key>`)
CONTEXT_KEY = "idempotency_key"
# where shared.messaging.rpc puts the request's correlation_id (not a header callers send)
REQUEST_ID_KEY = "sanxiang.request_id"
HEADER = f"nameko.{CONTEXT_KEY}"
MAX_KEY_LENGTH = 128


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency", metadata,
        Column("agency", String(64), primary_key=True),
        Column("actor_id", String(64), primary_key=True),
        Column("method", String(64), primary_key=True),
        # "key:<the caller's key>" or "request:<sha256 of correlation id and fingerprint>"
        Column("key", String(140), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("result", Text),  # the answer as JSON; written in the transaction's last statement
        Column("created_at", UtcDateTime(), nullable=False))


@dataclass(frozen=True)
class CallKeys:
    """What identifies one call: the caller's key (None if it sent none) and the request's
    correlation id (None when the call did not come over AMQP)."""
    given: object = None
    request_id: str | None = None


class RequestKeys(DependencyProvider):
    """Injects the call's CallKeys, for shared.service.entrypoint.handle."""

    def get_dependency(self, worker_ctx):
        data = worker_ctx.data
        return CallKeys(data.get(CONTEXT_KEY), data.get(REQUEST_ID_KEY))


def fingerprint(request: dict) -> str:
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_key(keys: CallKeys, print_: str) -> str | None:
    """The key a call is recorded under, None when it has none (an in-process call); a caller
    key that breaks the rule is refused naming the header."""
    given = keys.given
    if given is not None:
        if (not isinstance(given, str) or not 1 <= len(given) <= MAX_KEY_LENGTH
                or not given.isprintable()):
            raise ValidationFailed.from_messages(
                {HEADER: [f"must be a string of 1 to {MAX_KEY_LENGTH} printable characters"]},
                what="call context")
        return f"key:{given}"
    if keys.request_id:
        ident = f"{keys.request_id}\n{print_}".encode("utf-8", "surrogatepass")
        return f"request:{hashlib.sha256(ident).hexdigest()}"
    return None


class _Replay(BaseException):
    """The call was made before: carries its stored answer out of the use case (a
    BaseException, so that no `except Exception` of a use case mistakes it for its own)."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer


def run(db: Db, keys: CallKeys | None, *, agency: str, actor_id: str, method: str,
        request: dict, call: Callable[[], object]):
    """Run `call` (the use case, returning the dumped answer) once for its key."""
    print_ = fingerprint(request)
    key = stored_key(keys or CallKeys(), print_)
    if key is None:
        return call()
    return Scope(db, (agency, actor_id, method, key), print_).run(call)


def create_schema(op) -> None:
    """The migration step that adds the `idempotency` table (and, on PostgreSQL, its claim
    function) to a service's database: one definition for every service's migration."""
    _TABLE.create(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CLAIM_FUNCTION)


def drop_schema(op) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sanxiang_idempotency_claim(text, text, text, text)")
    op.drop_table("idempotency")


# PostgreSQL: the claim, created by each service's migration. A transaction-level advisory
# lock on the call's identity makes a duplicate wait until the first call's transaction has
# ended; then a key recorded before raises SQLSTATE SX409 — the signal, sent with BEGIN and the
# use case's first statement, that costs no round trip of its own. A hash collision between
# two identities only makes one wait for the other.
PG_CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION sanxiang_idempotency_claim(
    p_agency text, p_actor_id text, p_method text, p_key text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(
        p_agency || chr(10) || p_actor_id || chr(10) || p_method || chr(10) || p_key, 0));
    IF EXISTS (SELECT 1 FROM idempotency WHERE agency = p_agency AND actor_id = p_actor_id
               AND method = p_method AND key = p_key) THEN
        RAISE EXCEPTION 'idempotency key recorded before' USING ERRCODE = 'SX409';
    END IF;
END
$$
"""
_PG_RECORDED = "SX409"
_PG_CLAIM = "SELECT sanxiang_idempotency_claim({})"
_PG_PRIOR = ("SELECT fingerprint, result FROM idempotency "
             "WHERE agency = %s AND actor_id = %s AND method = %s AND key = %s")
_PG_KEEP = ("INSERT INTO idempotency (agency, actor_id, method, key, fingerprint, result, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s, now())")


class Scope:
    """One idempotent call (module docstring): the write transaction its use case opens and
    joins, with the key claimed first and the answer stored last.

    On PostgreSQL the claim (PG_CLAIM_FUNCTION) is sent with BEGIN and the use case's first
    statement (shared.persistence.db.begin_with): no round trip of its own. A key recorded before
    makes it fail — at once if that call committed, after it if it is still under way — and that
    failure becomes the stored answer (or the refusal of a reused key); the record itself is
    one INSERT sent with the COMMIT. On SQLite (one writer at a time) the claim is INSERT OR
    IGNORE, its outcome read at once, and the answer written into the claimed row."""

    def __init__(self, db: Db, ident: tuple[str, str, str, str], print_: str):
        self.db = db
        self.ident = ident
        self.print_ = print_
        self.session: Session | None = None
        self._stack: contextlib.ExitStack | None = None
        self.failed = False

    def run(self, call: Callable[[], object]):
        with self.db.scoped(self):
            try:
                answer = call()
                if self.session is not None:
                    self._keep(answer)
                    self._end(None)
            except _Replay as replay:
                return replay.answer
            except BaseException as exc:
                self._end(sys.exc_info())
                if _claim_lost(exc):
                    return self._prior()
                raise
        return answer

    @contextlib.contextmanager
    def transaction(self) -> Iterator:
        if self.failed:  # the call is failing: what it still writes is its own transaction
            with self.db.plain_transaction() as session:
                yield session
            return
        if self.session is None:
            self._open()
        try:
            yield self.session
        except BaseException as exc:
            self.failed = True
            self._end(sys.exc_info())
            if _claim_lost(exc):
                raise _Replay(self._prior()) from None
            raise

    @contextlib.contextmanager
    def joined(self) -> Iterator:
        """A read (or an autocommit statement) of the call once its transaction is open."""
        with self.transaction() as session:
            yield session

    def _open(self) -> None:
        stack = contextlib.ExitStack()
        session = stack.enter_context(self.db.plain_transaction())
        try:
            self._claim(session)
        except BaseException:
            if not stack.__exit__(*sys.exc_info()):
                raise
        self._stack, self.session = stack, session

    def _claim(self, session) -> None:
        if self.db.dialect == "postgresql":
            begin_with(session, _PG_CLAIM.format(_pg_texts(session, self.ident)))
            return
        table = _TABLE
        claimed = session.execute(insert(table).prefix_with("OR IGNORE").values(
            **dict(zip(_IDENT, self.ident, strict=False)), fingerprint=self.print_,
            created_at=datetime.now(UTC)))
        if not claimed.rowcount:
            prior = session.execute(select(table.c.fingerprint, table.c.result).where(
                *(table.c[c] == v for c, v in zip(_IDENT, self.ident, strict=False)))).first()
            raise _Replay(self._judge(prior))

    def _prior(self):
        """The answer of the call that holds the key (PostgreSQL, after a lost claim)."""
        with self.db.plain_read() as session:
            return self._judge(driver_fetch(session, _PG_PRIOR, self.ident))

    def _judge(self, prior):
        if prior is None or prior[1] is None:  # cannot be: a claim commits with its answer
            raise Conflict("the call's idempotency record holds no answer",
                           code="idempotency_record_incomplete",
                           message_zh="该调用的幂等记录没有保存答复")
        if prior[0] != self.print_:
            _, _, method, key = self.ident
            raise IdempotencyKeyReused(
                f"idempotency key {key.split(':', 1)[1]!r} was used for another {method} "
                f"request of this caller; a new request needs a new key",
                message_zh=f"幂等键 {key.split(':', 1)[1]!r} 已用于该调用方的另一个 {method} 请求，"
                           "新请求须使用新的幂等键",
                details={"header": HEADER, "method": method})
        return json.loads(prior[1])

    def _keep(self, answer: Any) -> None:
        session = self.session
        assert session is not None, "an answer is kept inside the claimed call"
        text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"), default=str)
        if self.db.dialect == "postgresql":
            commit_with(session, _PG_KEEP, (*self.ident, self.print_, text))
            return
        table = _TABLE
        session.execute(update(table).where(
            *(table.c[c] == v for c, v in zip(_IDENT, self.ident, strict=True)))
            .values(result=text))

    def _end(self, exc_info) -> None:
        stack, self._stack, self.session = self._stack, None, None
        if stack is not None:
            if exc_info is None:
                stack.close()
            else:
                stack.__exit__(*exc_info)


def _claim_lost(exc: BaseException) -> bool:
    """Is this the claim finding its key recorded before (PostgreSQL)?"""
    return getattr(getattr(exc, "orig", exc), "pgcode", None) == _PG_RECORDED


def _pg_texts(session, values: tuple[str, ...]) -> str:
    """Strings as PostgreSQL literals, comma-separated, with no "%" in them (begin_with's
    rule): quoted by the driver, each holding a "%" spelled in hex instead."""
    if any("%" in value for value in values):
        return ", ".join(f"convert_from(decode('{value.encode('utf-8').hex()}', 'hex'), 'UTF8')"
                         if "%" in value else _pg_texts(session, (value,)) for value in values)
    cur = session.connection().connection.cursor()
    try:
        return cur.mogrify(", ".join(("%s",) * len(values)), values).decode("utf-8")
    finally:
        cur.close()


_IDENT = ("agency", "actor_id", "method", "key")
# the `idempotency` table as SQLAlchemy Core sees it (every service's is the same)
_TABLE = idempotency_table(service_metadata())
