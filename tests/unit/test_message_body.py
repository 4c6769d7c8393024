"""shared.messaging.body, how requests and events are read as JSON, and what each decoder says
of a body it cannot read."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from shared.errors import BadRequest
from shared.messaging.body import Unreadable, depth_exceeds, is_utf8, read_json
from shared.messaging.consumer import EventUndecodable, decode_event
from shared.messaging.rpc import MAX_DEPTH, decode_request


def request(body: bytes) -> SimpleNamespace:
    return SimpleNamespace(body=body, content_type="application/json", content_encoding="utf-8",
                           properties={"reply_to": "r", "correlation_id": "c"})


def event(body: bytes) -> SimpleNamespace:
    return SimpleNamespace(body=body, content_type="application/json", content_encoding=None,
                           headers={})


def test_read_json_names_the_problem():
    assert read_json(b'{"a": [1]}') == {"a": [1]}
    assert is_utf8(None) and is_utf8("UTF8") and not is_utf8("latin-1")
    for raw, problem, kw in ((b"\xff", "utf8", {}), (b"{", "json", {}),
                             (b"[NaN]", "json", {"constants": False}),
                             (b"[[[1]]]", "depth", {"max_depth": 2})):
        with pytest.raises(Unreadable) as exc:
            read_json(raw, **kw)
        assert exc.value.problem == problem
    assert read_json(b"[NaN]") != []  # constants are the caller's choice
    assert depth_exceeds([[1]], 1) and not depth_exceeds([[1]], 2)


def test_each_decoder_says_it_in_its_own_words():
    deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    for body, said in ((b"\xff", "is not valid UTF-8 (byte 0)"), (b"{", "is not JSON: "),
                       (deep, f"nests deeper than {MAX_DEPTH} levels")):
        with pytest.raises(BadRequest) as exc:
            decode_request(request(body))
        assert exc.value.details["body"][0].startswith(said)
    for body, said in ((b"\xff", "body is not valid UTF-8: invalid start byte at byte 0"),
                       (b"{", "body is not JSON: "), (b'{"x": NaN}', "body is not JSON: NaN"),
                       (b"[" * 100_000, "body nests arrays or objects deeper than the decoder")):
        with pytest.raises(EventUndecodable) as undecodable:
            decode_event(event(body))
        assert undecodable.value.message.startswith(said), undecodable.value.message
