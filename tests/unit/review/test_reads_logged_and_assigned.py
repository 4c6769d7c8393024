"""调阅监督 on the review board (002 第十九条 实时调阅; 003 二(二)): every read of its reviews
— a review, a listing (v1 and v2 alike), the opinion document, the staffing report, the
check of a manual review — and every refused call is in its access log, who, when, what and
why, as the record keeper's reads are; a supervisor pages through it (access_log). And a
reviewer's own work: the reviews assigned to the caller, a page at a time (my_reviews).
SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from contracts.review import CONTRACT
from services.review import queries, store, usecases
from shared.errors import Forbidden, SanxiangError, ValidationFailed
from shared.service.entrypoint import handle
from tests.unit.review.support import actor, at, complete_review, issue, staff

QY = "qinyuan-energy"
HEAD = actor("head", id="head-qy-1")
SUPERVISOR = actor("supervisor", agency="shanxi-supervision", id="supervisor-9")


def read(env, method, payload, who):
    """A read as the service runs it: validated, the answer dumped, a refusal recorded in
    the access log as the service records it."""
    fn = {"get_review_v2": queries.get_review_page,
          "list_reviews_v2": queries.list_reviews_page}.get(method) or getattr(queries, method)
    return handle(CONTRACT, method, payload, fn, actor=who,
                  refused=lambda a, m, request, exc: store.record_refused_access(
                      env.db, a, m, request, exc, env.now),
                  missing=store.missing_review, db=env.db, rules=env.rules, now=env.now)


def log(env, who=SUPERVISOR, **request):
    return read(env, "access_log", {"agency": QY, **request}, who)


def rows(page):
    return [(r["actor_id"], r["action"], r["review_id"], r["outcome"]) for r in page["items"]]


def test_every_read_of_the_board_is_in_its_access_log(env_db):
    env = env_db
    rid = complete_review(env)
    issue(env, rid)
    read(env, "get_review", {"review_id": rid}, HEAD)
    read(env, "list_reviews", {"agency": QY, "state": "opinion_issued"}, HEAD)
    read(env, "opinion_document", {"review_id": rid}, actor("officer", id="officer-qy-5"))
    read(env, "staffing_report", {"agency": QY}, actor("legal_unit", id="legal-1"))
    read(env, "get_review_v2", {"review_id": rid}, actor("reviewer", id="reviewer-1"))
    read(env, "list_reviews_v2", {"agency": QY}, actor("reviewer", id="reviewer-1"))
    with pytest.raises(SanxiangError):  # another agency's head: answered as not found
        read(env, "get_review", {"review_id": rid}, actor("head", agency="anze-county",
                                                         id="head-az-1"))
    assert rows(log(env)) == [
        ("head-az-1", "get_review", rid, "refused"),
        ("reviewer-1", "list_reviews_v2", None, "granted"),
        ("reviewer-1", "get_review_v2", rid, "granted"),
        ("legal-1", "staffing_report", None, "granted"),
        ("officer-qy-5", "opinion_document", rid, "granted"),
        ("head-qy-1", "list_reviews", None, "granted"),
        ("head-qy-1", "get_review", rid, "granted")]
    page = log(env, reader="head-qy-1")
    assert [r["reason"] for r in page["items"]] == [f"agency={QY} state=opinion_issued", None]
    assert page["items"][-1]["case_id"] == "case-沁能立〔2025〕7号"
    assert page["items"][-1]["at"] == env.now.isoformat()


def test_the_log_pages_newest_first_filtered_by_review_and_is_itself_logged(env_db):
    env = env_db
    rid = complete_review(env)
    other = complete_review(env, case_no="沁能立〔2025〕8号")
    for review_id in (rid, other, rid):
        read(env, "get_review", {"review_id": review_id}, HEAD)
    assert [r["review_id"] for r in log(env, review_id=rid)["items"]] == [rid, rid]
    seen, cursor = [], None
    while True:
        page = log(env, limit=2, cursor=cursor, outcome="granted", reader="head-qy-1")
        seen += [r["id"] for r in page["items"]]
        if (cursor := page["next"]) is None:
            break
    assert len(seen) == 3 and seen == sorted(seen, reverse=True)
    latest = log(env, limit=1)["items"][0]
    assert (latest["actor_id"], latest["action"]) == ("supervisor-9", "access_log")
    with pytest.raises(ValidationFailed) as err:
        log(env, since="2025-10-21T00:00:00+00:00", until="2025-10-20T00:00:00+00:00")
    assert err.value.details == {"until": ["must be after since"]}


def test_only_supervision_reads_the_log(env_db):
    with pytest.raises(Forbidden):
        log(env_db, who=actor("reviewer", id="reviewer-1"))
    with pytest.raises(Forbidden):
        log(env_db, who=actor("legal_unit", agency="anze-county"))
    # the agency's own legal unit reads it: the two attempts above are in it, refused
    assert rows(log(env_db, who=actor("legal_unit"))) == [
        ("legal_unit-1", "access_log", None, "refused"),
        ("reviewer-1", "access_log", None, "refused")]


# ---- my reviews ------------------------------------------------------------------------------

def mine(env, who=None, **request):
    page = read(env, "my_reviews", {"agency": QY, **request},
                who or actor("reviewer", id="reviewer-1"))
    return [r["case_no"] for r in page["items"]], page["next"]


def test_a_reviewer_pages_through_the_reviews_assigned_to_them(env_db):
    env = env_db
    requested = []
    for n in range(1, 5):  # requested an hour apart (the board stamps its own time)
        env.now = at(f"2025-10-20T{8 + n:02d}:00")
        requested.append(complete_review(env, case_no=f"沁能立〔2025〕{n}号"))
    first, recused = requested[0], requested[3]
    env.call(usecases.declare_interest, "declare_interest", {
        "review_id": recused, "person_id": "reviewer-1", "interest": "近亲属"},
        actor("reviewer", id="reviewer-1"))
    staff(env, "reviewer-2")
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": first, "reviewer_id": "reviewer-2", "reason": "轮值"},
             actor("legal_unit", id="legal-1"))
    issue(env, first)
    assert mine(env) == (["沁能立〔2025〕3号", "沁能立〔2025〕2号"], None)
    assert mine(env, open_only=False)[0] == ["沁能立〔2025〕3号", "沁能立〔2025〕2号",
                                             "沁能立〔2025〕1号"]
    assert mine(env, state="opinion_issued") == (["沁能立〔2025〕1号"], None)
    assert mine(env, who=actor("reviewer", id="reviewer-2"), open_only=False) \
        == (["沁能立〔2025〕1号"], None)
    page, cursor = mine(env, open_only=False, limit=2)
    assert page == ["沁能立〔2025〕3号", "沁能立〔2025〕2号"]
    assert mine(env, open_only=False, limit=2, cursor=cursor) == (["沁能立〔2025〕1号"], None)
    with pytest.raises(Forbidden):
        mine(env, who=actor("officer"))
    with pytest.raises(Forbidden):
        mine(env, who=actor("reviewer", agency="anze-county"))
    # the refusal is in the log of the agency it asked about
    assert rows(log(env, reader="reviewer-1", limit=1)) == [
        ("reviewer-1", "my_reviews", None, "refused")]
