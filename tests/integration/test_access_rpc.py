"""Who may learn what, over real RabbitMQ (a vhost per test) against SQLite and PostgreSQL,
with requests published as raw AMQP and replies read as the bytes a caller gets:

- an officer of one agency gets the very same reply for another agency's case as for a case
  that does not exist, whatever the method and whether the payload is valid, and the attempt
  is recorded as a refusal on that case;
- every kind of bad token is refused and recorded with what it claimed, marked unverified;
- a token minted by Node.js with its built-in crypto alone (the README's example) is accepted;
- the review board answers another agency's review as a missing one and records refused
  tokens too."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

from contracts.review import CONTRACT as REVIEW_CONTRACT
from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.trust.actor import TokenIssuer
from shared.trust.keys import KeyStore, SigningKey, key_id
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.builders import open_case_request, step_request

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "tokens" / "mint-token.mjs"
LC, QY = LINGCHUAN, QINYUAN
AGENCIES = agencies(LC, QY)


def rows(db_url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


@pytest.fixture
def serve(container_factory, rabbit_config, db_url, keys_dir, raw_rpc):
    """serve(ServiceClass) -> call(method, token, **kwargs): the service started on the test's
    vhost and database, called over plain AMQP."""
    config = dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)

    def start(cls):
        container_factory(cls, config).start()
        return lambda method, token, **kwargs: raw_rpc(config["AMQP_URI"], cls.name, method,
                                                       kwargs, token)
    return start


@pytest.fixture
def records(serve, db_url, token_issuer):
    call = serve(RecordsService)

    def token(role="officer", agency=LC, **kw):
        return token_issuer.issue(actor_id=kw.pop("actor_id", f"{role}-{agency[:2]}"),
                                  role=role, agency=agency, **kw)

    return call, token, db_url


def open_case(call, token, agency: str, case_no: str) -> str:
    payload = open_case_request(case_no, agency=agency)
    reply = call("open_case", token("officer", agency), **payload)
    assert reply["error"] is None, reply["error"]
    return reply["result"]["id"]


def _with(case_id: str, error: dict | None) -> str:
    """The error as the caller sees it, with the case id it names made generic."""
    return json.dumps(error, ensure_ascii=False, sort_keys=True).replace(case_id, "<case>")


def requests(case_id: str) -> list[tuple[str, str, dict]]:
    """(role, method, payload) probing a case: reads, writes, valid and invalid payloads,
    and a method the role may not call at all."""
    case_no = "陵应急立〔2025〕300号"
    advance = step_request("service_stage", case_id, case_no=case_no)
    append = step_request("fine_paid", case_id, case_no=case_no)
    return [
        ("officer", "get_case", {"case_id": case_id}),
        ("officer", "get_entries", {"case_id": case_id}),
        ("officer", "get_entries", {"case_id": case_id, "limit": 0}),          # invalid
        ("officer", "verify_case", {"case_id": case_id}),
        ("officer", "checkpoint_case", {"case_id": case_id}),
        ("head", "case_findings", {"case_id": case_id}),
        ("officer", "advance_stage", advance),
        ("officer", "advance_stage", dict(advance, to_stage="nowhere")),          # invalid
        ("officer", "append_record", append),
        ("officer", "append_record", dict(append, content={})),                  # invalid
        ("officer", "issue_decision", {"case_id": case_id}),                     # wrong role
        ("party", "get_case", {"case_id": case_id}),
    ]


def test_another_agencys_case_reads_exactly_like_a_missing_one(records):
    call, token, db_url = records
    theirs = open_case(call, token, QY, "沁能立〔2025〕300号")
    missing = str(uuid.uuid4())
    ours = open_case(call, token, LC, "陵应急立〔2025〕300号")
    party = token("party", LC, actor_id="citizen-1", party_id="party-1", case_id=ours)
    for (role, method, payload), (_, _, probe) in zip(requests(theirs), requests(missing),
                                                      strict=True):
        who = party if role == "party" else token(role, LC)
        answer, control = call(method, who, **payload), call(method, who, **probe)
        assert answer["result"] is None and answer["error"] is not None, (method, answer)
        assert _with(theirs, answer["error"]) == _with(missing, control["error"]), method
    # and what the answers were: nothing but not_found, validation_failed or a role refusal
    codes = [call(method, party if role == "party" else token(role, LC), **payload)
             ["error"]["exc_args"][0]["code"] for role, method, payload in requests(theirs)]
    assert codes == ["not_found", "not_found", "validation_failed", "not_found", "not_found",
                     "not_found", "not_found", "validation_failed", "not_found",
                     "validation_failed", "forbidden", "not_found"]
    # each refusal is on record against the other agency's case; nothing was written to it
    refused = rows(db_url, "select actor_id, actor_agency, action, agency from access_log "
                   "where case_id = :c and outcome = 'refused' order by id", c=theirs)
    assert {r[2] for r in refused} == {"get_case", "get_entries", "verify_case",
                                       "checkpoint_case", "case_findings", "advance_stage",
                                       "append_record", "issue_decision"}
    assert {(r[1], r[3]) for r in refused} == {(LC, QY)}
    assert ("citizen-1", LC, "get_case", QY) in refused
    assert rows(db_url, "select head_seq from cases where id = :c", c=theirs) == [(1,)]


def test_a_party_token_reads_its_own_case_and_no_other_case_of_the_same_party_label(records):
    call, token, db_url = records
    first = open_case(call, token, LC, "陵应急立〔2025〕303号")
    second = open_case(call, token, LC, "陵应急立〔2025〕304号")  # its party is party-1 too
    party = token("party", LC, actor_id="citizen-5", party_id="party-1", case_id=first)
    own = call("get_case", party, case_id=first)
    assert own["error"] is None and own["result"]["id"] == first
    for method in ("get_case", "get_entries"):
        other = call(method, party, case_id=second)
        assert other["result"] is None
        assert other["error"]["exc_args"][0] == {
            "code": "not_found", "message": f"no case with id {second!r}",
            "message_zh": f"未找到案件 {second!r}", "details": {"case_id": second}}
    assert rows(db_url, "select actor_id, action, outcome from access_log where case_id = :c "
                "order by id", c=second) == [("citizen-5", "get_case", "refused"),
                                             ("citizen-5", "get_entries", "refused")]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict, claims: dict, sign) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def bad_tokens(keys_dir: str, issuer: TokenIssuer) -> dict[str, tuple[str | None, str, dict]]:
    """name → (token, reason code it is refused with, identity it claims)."""
    store = KeyStore(keys_dir)
    real = store.token_issuer_key()
    public_pem = next(Path(keys_dir, "public", "token").glob("*.pem")).read_bytes()
    other = Ed25519PrivateKey.generate()
    now = int(time.time())
    claims = {"iss": "sanxiang", "sub": "mallory", "role": "officer", "agency": LC,
              "name": "", "iat": now, "exp": now + 600}
    valid = issuer.issue(actor_id="mallory", role="officer", agency=LC)
    head, _, signature = valid.split(".")
    edited = f"{head}.{_b64(json.dumps(dict(claims, role='supervisor')).encode())}.{signature}"
    header = {"typ": "JWT", "kid": real.kid}
    return {
        "missing": (None, "missing", {}),
        "not_a_jwt": ("not-a-token", "malformed", {}),
        "expired": (issuer.issue(actor_id="mallory", role="officer", agency=LC,
                                 now=now - 7200, ttl_seconds=600), "expired",
                    {"sub": "mallory", "agency": LC}),
        # signed by a key that is not the issuer's, under the issuer's key id
        "forged": (TokenIssuer(SigningKey(other, real.kid, "issuer")).issue(
            actor_id="mallory", role="head", agency=LC), "bad_signature",
            {"sub": "mallory", "agency": LC}),
        # a genuine token whose role was edited afterwards
        "role_edited": (edited, "bad_signature", {"sub": "mallory", "agency": LC}),
        "unknown_key": (TokenIssuer(SigningKey(other, key_id(other.public_key()), "issuer"))
                        .issue(actor_id="mallory", role="officer", agency=LC), "unknown_key",
                        {"sub": "mallory", "agency": LC}),
        # the classic confusion: HMAC keyed with the (public) verification key
        "hs256_public_key": (_jwt(dict(header, alg="HS256"), claims, lambda data: hmac.new(
            public_pem, data, hashlib.sha256).digest()), "algorithm",
            {"sub": "mallory", "agency": LC}),
        "alg_none": (_jwt(dict(header, alg="none"), claims, lambda data: b""), "algorithm",
                     {"sub": "mallory", "agency": LC}),
        # a party token not bound to a case, properly signed
        "party_without_case": (jwt.encode(dict(claims, role="party", party="party-1"),
                                          real.key, algorithm="EdDSA", headers=header),
                               "invalid_claims", {"sub": "mallory", "agency": LC}),
    }


def test_every_bad_token_is_refused_and_recorded_with_what_it_claimed(records, keys_dir,
                                                                      token_issuer):
    call, token, db_url = records
    case_id = open_case(call, token, LC, "陵应急立〔2025〕301号")
    tokens = bad_tokens(keys_dir, token_issuer)
    for name, (bad, reason, _) in tokens.items():
        reply = call("get_case", bad, case_id=case_id)
        assert reply["result"] is None, name
        error = reply["error"]["exc_args"][0]
        assert (error["code"], error["details"]) == ("unauthenticated", {"reason": reason}), \
            (name, error)
    refused = rows(db_url, "select actor_id, actor_role, actor_agency, action, case_id, "
                   "agency, reason from access_log where outcome = 'refused' order by id")
    assert len(refused) == len(tokens)
    for (name, (_, reason, said)), row in zip(tokens.items(), refused, strict=False):
        assert row[:6] == (said.get("sub", ""), "unverified", said.get("agency", ""),
                           "get_case", case_id, LC), name
        assert row[6].startswith(f"unauthenticated ({reason}): "), (name, row[6])
    # what else the token claimed is in the reason, marked as not verified
    by_name = dict(zip(tokens, refused, strict=False))
    assert "claimed, not verified: kid=" in by_name["forged"][6]
    assert "role='supervisor'" in by_name["role_edited"][6]
    assert "alg='HS256'" in by_name["hs256_public_key"][6]
    assert "role='party'" in by_name["party_without_case"][6]
    # and every one becomes a finding of the case it tried to read
    findings = call("case_findings", token("supervisor"), case_id=case_id)["result"]
    assert [f["code"] for f in findings].count("access_refused") == len(tokens)


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is not installed: ./scripts/bootstrap installs the Debian "
                    "package nodejs", pytrace=False)
    return node


def mint_with_node(keys_dir: str, *args: str) -> str:
    key = KeyStore(keys_dir).private_path("issuer", "token")
    done = subprocess.run([_node(), str(EXAMPLE), "--key", str(key), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_readme_shows_the_node_example_the_suite_runs():
    readme = (ROOT / "README.md").read_text()
    assert f"```js\n{EXAMPLE.read_text()}```" in readme


def test_a_token_minted_by_node_is_accepted_over_rpc(records, keys_dir):
    call, token, db_url = records
    officer = mint_with_node(keys_dir, "--sub", "node-0017", "--role", "officer",
                             "--agency", LC, "--name", "李明")
    payload = open_case_request("陵应急立〔2025〕302号")
    opened = call("open_case", officer, **payload)
    assert opened["error"] is None, opened["error"]
    case_id = opened["result"]["id"]
    # a party token from the same example, bound to that case: the masked view
    party = mint_with_node(keys_dir, "--sub", "citizen-8", "--role", "party", "--agency", LC,
                           "--party", "party-1", "--case", case_id)
    view = call("get_case", party, case_id=case_id)
    assert view["error"] is None, view["error"]
    assert view["result"]["id"] == case_id
    assert rows(db_url, "select actor_id, actor_role, action, outcome from access_log "
                "where case_id = :c order by id", c=case_id) == [
        ("citizen-8", "party", "get_case", "granted")]
    chain = rows(db_url, "select actor_id, actor_role from entries where case_id = :c",
                 c=case_id)
    assert chain == [("node-0017", "officer")]


@pytest.fixture
def review(serve, db_url):
    return serve(ReviewService), db_url


def test_the_review_board_hides_other_agencies_reviews_and_records_bad_tokens(
        review, keys_dir, token_issuer):
    call, db_url = review
    request = dict(REVIEW_CONTRACT.rpc("request_review").example_request, agency=LC,
                   case_id=str(uuid.uuid4()))
    lc = token_issuer.issue(actor_id="officer-lc", role="officer", agency=LC)
    requested = call("request_review", lc, **request)
    assert requested["error"] is None, requested["error"]
    theirs, missing = requested["result"]["id"], str(uuid.uuid4())
    qy = token_issuer.issue(actor_id="officer-qy", role="officer", agency=QY)
    for method in ("get_review", "opinion_document"):
        answer = call(method, qy, review_id=theirs)["error"]
        control = call(method, qy, review_id=missing)["error"]
        assert answer["exc_args"][0]["code"] == "not_found"
        assert json.dumps(answer).replace(theirs, "<id>") == \
            json.dumps(control).replace(missing, "<id>")
    expired = bad_tokens(keys_dir, token_issuer)["expired"][0]
    assert call("get_review", expired, review_id=theirs)["error"]["exc_args"][0][
        "details"] == {"reason": "expired"}
    log = rows(db_url, "select review_id, actor_id, actor_role, action, body from review_log "
               "where action = 'refused' order by id")
    assert [r[:4] for r in log] == [
        (theirs, "officer-qy", "officer", "refused"),
        (missing, "officer-qy", "officer", "refused"),  # a probe of an id: on record too
        (theirs, "officer-qy", "officer", "refused"),
        (missing, "officer-qy", "officer", "refused"),
        (theirs, "mallory", "unverified", "refused")]
    body = log[-1][4] if isinstance(log[-1][4], dict) else json.loads(log[-1][4])
    assert body["method"] == "get_review" and body["verified"] is False
    assert re.match(r"unauthenticated \(expired\): ", body["reason"])
