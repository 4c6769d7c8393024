"""Finding work from the command line, over real RabbitMQ (a vhost per test) with the
caller's actor token: `sanxiang cases find / mine / due` against the record keeper and
`sanxiang review mine` against the review board, each printing a page and the cursor of the
next (or every page with --all); a refusal is printed, with a non-zero exit."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.cli import main
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.builders import open_case_request
from tests.unit.review.support import ALWAYS, request_payload

LC, QY = LINGCHUAN, QINYUAN


@pytest.fixture
def suite(container_factory, rabbit_config, tmp_path, keys_dir, token_issuer):
    """The record keeper and the review board on the test's vhost (SQLite each); `token`
    mints an actor token, `proxy` calls a service as one."""
    def start(cls, name):
        config = dict(rabbit_config, DATABASE_URL=f"sqlite:///{tmp_path / name}.sqlite3",
                      KEYS_DIR=keys_dir, AGENCIES=agencies(LC, QY))
        container_factory(cls, config).start()
        return config

    config = start(RecordsService, "records")
    start(ReviewService, "review")

    def token(role, agency=LC, actor_id=None, **kw):
        return token_issuer.issue(actor_id=actor_id or f"{role}-1", role=role, agency=agency,
                                  **kw)

    def proxy(service, *args, **kw):
        return ServiceRpcProxy(service, config, timeout=20,
                               context_data={"actor_token": token(*args, **kw)})

    return config["AMQP_URI"], token, proxy


def run(capsys, *argv) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [line for line in out.splitlines() if line], err


def test_cases_find_mine_and_due_print_pages_of_the_record_keepers_answers(suite, capsys):
    amqp, token, proxy = suite
    with proxy("records", "officer", actor_id="officer-lc-017") as records:
        for n in range(3):
            records.open_case(**open_case_request(
                f"陵应急立〔2025〕7{n}号", occurred_at=f"2025-09-0{n + 1}T10:00:00+08:00",
                handlers=["officer-lc-017", "officer-lc-021"] if n else ["a-1", "a-2"]))
        closed = records.find_cases(agency=LC, handler="a-1")["items"][0]
        records.close_case(case_id=closed["id"], closed_at="2025-09-05T10:00:00+08:00",
                           reason="撤销立案")
    officer = token("officer", actor_id="officer-lc-017")

    code, lines, _ = run(capsys, "cases", "mine", "--token", officer, "--amqp", amqp)
    assert code == 0
    assert [line.split()[0] for line in lines[:-1]] == ["陵应急立〔2025〕72号",
                                                        "陵应急立〔2025〕71号"]
    assert lines[-1] == "(2 shown)"

    code, lines, _ = run(capsys, "cases", "find", "--token", officer, "--amqp", amqp,
                         "--party", open_case_request()["parties"][0]["name"], "--limit", "1")
    assert lines[0].startswith("陵应急立〔2025〕72号") and lines[-1].startswith("(1 shown; next:")
    code, lines, _ = run(capsys, "cases", "find", "--token", officer, "--amqp", amqp,
                         "--from", "2025-09-01", "--limit", "1", "--all")
    assert lines[-1] == "(3 shown)"

    code, lines, _ = run(capsys, "cases", "due", "--within", "5", "--token",
                         token("head", actor_id="head-lc-001"), "--amqp", amqp)
    assert code == 0 and lines[0].startswith("due by ")
    assert "case_archive" in lines[1] and "陵应急立〔2025〕70号" in lines[1]
    assert "overdue by" in lines[1] and lines[-1] == "(1 shown)"

    # a party token finds no work: refused, said so, non-zero
    code, lines, err = run(capsys, "cases", "mine", "--amqp", amqp, "--token",
                           token("party", party_id="party-1", case_id=closed["id"]))
    assert code == 1 and "forbidden: role 'party' may not do this" in err


def test_review_mine_prints_the_reviews_assigned_to_the_caller(suite, capsys):
    amqp, token, proxy = suite
    with proxy("review", "officer", agency=QY) as board:
        review = board.request_review(**request_payload(QY, materials=ALWAYS))
    with proxy("review", "legal_unit", agency=QY) as legal:
        legal.register_staff(agency=QY, person_id="reviewer-qy-2", name="审核员",
                             roles=["reviewer"], legal_qualification=True,
                             qualification_no="A2019", prior_penalty_reviews=0, active=True)
        legal.assign_reviewer(review_id=review["id"], reviewer_id="reviewer-qy-2", reason="轮值")
    code, lines, _ = run(capsys, "review", "mine", "--amqp", amqp, "--token",
                         token("reviewer", agency=QY, actor_id="reviewer-qy-2"))
    assert code == 0
    assert lines[0].startswith("沁能立〔2025〕7号") and review["id"] in lines[0]
    assert lines[-1] == "(1 shown)"
    code, lines, _ = run(capsys, "review", "mine", "--amqp", amqp, "--token",
                         token("reviewer", agency=QY, actor_id="reviewer-qy-9"))
    assert lines == ["(0 shown)"]


def test_finding_work_acts_as_a_role_minted_from_the_deployments_key(suite, capsys, keys_dir,
                                                                      monkeypatch):
    """As `sanxiang call` does: --as ROLE --agency CODE mints the caller's token from the
    deployment's token-issuer key, so no token is handed around; without either, the command
    says which option it needs and sends nothing."""
    amqp, token, proxy = suite
    for name in ("SANXIANG_TOKEN", "SANXIANG_AGENCY"):
        monkeypatch.delenv(name, raising=False)
    with proxy("records", "officer", actor_id="officer-lc-017") as records:
        records.open_case(**open_case_request("陵应急立〔2025〕80号",
                                              handlers=["officer-lc-017", "officer-lc-021"]))
    code, lines, _ = run(capsys, "cases", "mine", "--as", "officer", "--actor-id",
                         "officer-lc-017", "--agency", LC, "--keys", str(keys_dir),
                         "--amqp", amqp)
    assert code == 0 and lines[0].startswith("陵应急立〔2025〕80号") and lines[-1] == "(1 shown)"
    code, lines, _ = run(capsys, "review", "mine", "--as", "reviewer", "--agency", LC,
                         "--keys", str(keys_dir), "--amqp", amqp)
    assert code == 0 and lines == ["(0 shown)"]
    code, lines, err = run(capsys, "cases", "due", "--amqp", amqp)
    assert code == 2 and "--token" in err and lines == []
    code, lines, err = run(capsys, "cases", "mine", "--as", "officer", "--amqp", amqp,
                           "--keys", str(keys_dir))
    assert code == 2 and "--agency" in err
