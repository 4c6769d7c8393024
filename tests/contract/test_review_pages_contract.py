"""The review board's paged reads sit beside the calls they page (get_review_v2 beside
get_review, list_reviews_v2 beside list_reviews): the same readers, the v1 requests and
answers unchanged, and each page bounded."""
from __future__ import annotations

import pytest

from contracts.review import CONTRACT, messages
from shared.contracts.registry import load
from shared.errors import ValidationFailed

PAGED = {"get_review_v2": "get_review", "list_reviews_v2": "list_reviews"}


@pytest.mark.parametrize("v2,v1", PAGED.items())
def test_a_paged_read_admits_the_readers_of_the_call_it_pages(v2, v1):
    assert CONTRACT.rpc(v2).roles == CONTRACT.rpc(v1).roles
    assert not CONTRACT.rpc(v2).writes


def test_the_v1_reads_keep_their_requests_and_answers():
    assert CONTRACT.rpc("get_review").request is messages.ReviewRef
    assert CONTRACT.rpc("get_review").response is messages.Review
    assert set(messages.ListReviews().fields) == {"agency", "state", "case_id", "limit"}
    assert CONTRACT.rpc("list_reviews").many


@pytest.mark.parametrize("method,field,too_many", [
    ("get_review_v2", "history_limit", messages.MAX_HISTORY_PAGE + 1),
    ("list_reviews_v2", "limit", messages.MAX_REVIEWS_PAGE + 1)])
def test_a_page_is_bounded(method, field, too_many):
    base = {"review_id": "r-1"} if method == "get_review_v2" else {"agency": "anze-county"}
    with pytest.raises(ValidationFailed) as err:
        load(CONTRACT.rpc(method).request, dict(base, **{field: too_many}), what=method)
    assert field in err.value.details
