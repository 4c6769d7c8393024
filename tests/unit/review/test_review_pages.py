"""Reads that page instead of returning a whole history: get_review_v2 shows the review with a
bounded page of its history and the cursor of the next, list_reviews_v2 an agency's reviews a
page at a time, newest requested first, from the index of its reviews by request time — the
v1 calls answer as before."""
from __future__ import annotations

import pytest

from contracts.review import CONTRACT
from services.review import queries, usecases
from shared.contracts.registry import load
from shared.errors import ValidationFailed
from tests.unit.review.support import (
    Env,
    actor,
    complete_review,
    history,
    plan,
    request_payload,
    statements,
)

HEAD = actor("head")


def read(env: Env, method: str, fn, payload: dict):
    """The query as its RPC runs it: the request validated by the contract first."""
    return fn(load(CONTRACT.rpc(method).request, payload, what=method), actor=HEAD, db=env.db,
              rules=env.rules, now=env.now)


def test_get_review_v2_pages_the_history_and_v1_still_returns_all_of_it(env):
    review_id = complete_review(env)
    whole = history(env, review_id)
    assert len(whole) >= 3
    pages, cursor = [], None
    while True:
        got = read(env, "get_review_v2", queries.get_review_page,
                   {"review_id": review_id, "history_limit": 2, "history_cursor": cursor})
        assert got["id"] == review_id and len(got["history"]) <= 2
        pages.append(got["history"])
        cursor = got["history_next"]
        if cursor is None:
            break
    assert [entry for page in pages for entry in page] == whole
    assert len(pages) == (len(whole) + 1) // 2
    assert "history_next" not in queries.get_review({"review_id": review_id}, actor=HEAD,
                                                    db=env.db, rules=env.rules, now=env.now)


def test_a_history_cursor_not_handed_out_is_refused_naming_it(env):
    review_id = complete_review(env)
    for bad in ("bm90LWEtbnVtYmVy", "%%%"):    # "not-a-number" encoded; not a cursor at all
        with pytest.raises(ValidationFailed) as err:
            read(env, "get_review_v2", queries.get_review_page,
                 {"review_id": review_id, "history_cursor": bad})
        assert list(err.value.details) == ["history_cursor"]


def test_list_reviews_v2_walks_every_review_newest_first_by_its_cursor(env):
    for n, hour in enumerate(["09", "10", "10", "10", "11"]):   # ties on requested_at
        env.call(usecases.request_review, "request_review",
                 request_payload(case_no=f"沁能立〔2025〕6{n}号",
                                 requested_at=f"2025-10-20T{hour}:00:00+08:00"),
                 actor("officer", id="officer-1"))
    whole = read(env, "list_reviews", queries.list_reviews,
                 {"agency": "qinyuan-energy", "limit": 100})
    seen, cursor = [], None
    while True:
        page = read(env, "list_reviews_v2", queries.list_reviews_page,
                    {"agency": "qinyuan-energy", "limit": 2, "cursor": cursor})
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(whole) == 5
    assert len({r["id"] for r in seen}) == 5
    keys = [(r["requested_at"], r["id"]) for r in seen]
    assert keys == sorted(keys, reverse=True)
    with pytest.raises(ValidationFailed) as err:
        read(env, "list_reviews_v2", queries.list_reviews_page,
             {"agency": "qinyuan-energy", "cursor": "WyJub3QgYSB0aW1lIiwieCJd"})
    assert list(err.value.details) == ["cursor"]


def test_a_page_of_reviews_is_read_from_the_index_by_request_time(env_db):
    if env_db.db.dialect != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    env_db.call(usecases.request_review, "request_review", request_payload(),
                actor("officer", id="officer-1"))
    first = read(env_db, "list_reviews_v2", queries.list_reviews_page,
                 {"agency": "qinyuan-energy", "limit": 1})
    with statements(env_db) as sent:
        read(env_db, "list_reviews_v2", queries.list_reviews_page,
             {"agency": "qinyuan-energy", "limit": 1,
              "cursor": first["next"] or "WyIyMDI1LTEwLTIxVDAwOjAwOjAwKzAwOjAwIiwieiJd"})
    (page,) = [s for s in sent if "FROM reviews" in s[0]]
    assert "ix_reviews_agency_requested_at" in plan(env_db, page)
