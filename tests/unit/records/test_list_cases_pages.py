"""list_cases answers a page at a time (item 9 of the faults issue: it walked an agency's
whole history in one call): newest opened first, ties by id, `next` the cursor after the
page, null on the last; `limit` capped by the contract. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from contracts.records.messages import MAX_CASES_PAGE
from services.records import queries
from shared.errors import ValidationFailed
from tests.builders import open_case_request
from tests.unit.records.support import actor, as_service, call

LC = "lingchuan-emergency"


@pytest.fixture
def env(env_db):
    return env_db


def open_case(env, case_no, opened):
    payload = open_case_request(case_no)
    payload.update(occurred_at=opened)
    return call(env, "open_case", payload, actor(agency=LC))


def list_page(env, **request):
    return as_service(env, "list_cases_v2", {"agency": LC, **request}, actor("head", LC),
                      queries.list_cases_page)


def list_v1(env, **request):
    return as_service(env, "list_cases", {"agency": LC, **request}, actor("head", LC),
                      queries.list_cases)


def test_pages_follow_the_cursor_through_every_case_once_newest_first(env):
    # two opened in the same minute: the id breaks the tie, so no case falls between pages
    opened = [open_case(env, f"陵应急立〔2025〕9{n}号", f"2025-09-0{1 + n // 2}T10:00:00+08:00")
              for n in range(5)]
    expected = [c["id"] for c in sorted(opened, key=lambda c: (c["opened_at"], c["id"]),
                                        reverse=True)]
    seen: list[str] = []
    pages, cursor = 0, None
    while True:
        page = list_page(env, limit=2, cursor=cursor)
        assert len(page["items"]) <= 2
        seen.extend(c["id"] for c in page["items"])
        pages, cursor = pages + 1, page["next"]
        if cursor is None:
            break
    assert (seen, pages) == (expected, 3)
    # a case opened meanwhile does not shift what a cursor already handed out
    first = list_page(env, limit=2)
    open_case(env, "陵应急立〔2025〕99号", "2025-10-01T10:00:00+08:00")
    assert [c["id"] for c in list_page(env, limit=2, cursor=first["next"])["items"]] \
        == expected[2:4]


def test_limit_and_cursor_are_checked_by_the_contract(env):
    with pytest.raises(ValidationFailed) as err:
        list_page(env, limit=MAX_CASES_PAGE + 1)
    assert err.value.details == {"limit": [
        f"Must be greater than or equal to 1 and less than or equal to {MAX_CASES_PAGE}."]}
    for bad in ("bm90LWEtY3Vyc29y", "WyJub3QgYSBkYXRlIiwieCJd"):  # not JSON; not a moment
        with pytest.raises(ValidationFailed) as err:
            list_page(env, cursor=bad)
        assert err.value.details == {"cursor": ["not a cursor this listing returned"]}
    with pytest.raises(ValidationFailed) as err:
        list_page(env, offset=100)  # v2 pages by cursor only
    assert err.value.details == {"offset": ["Unknown field."]}


def test_list_cases_v1_keeps_its_list_and_offset_within_a_bounded_depth(env):
    """v1's signature does not change (a list; limit and offset), but its offset is bounded,
    so no call walks an agency's whole history; v2's cursor reaches further."""
    from contracts.records.messages import MAX_OFFSET

    opened = [open_case(env, f"陵应急立〔2025〕8{n}号", f"2025-09-0{1 + n}T10:00:00+08:00")
              for n in range(3)]
    newest_first = [c["id"] for c in sorted(opened, key=lambda c: c["opened_at"], reverse=True)]
    assert [c["id"] for c in list_v1(env, limit=2)] == newest_first[:2]
    assert [c["id"] for c in list_v1(env, limit=2, offset=2)] == newest_first[2:]
    assert [c["id"] for c in list_page(env, limit=3)["items"]] == newest_first
    with pytest.raises(ValidationFailed) as exc:
        list_v1(env, offset=MAX_OFFSET + 1)
    assert list(exc.value.details) == ["offset"]
