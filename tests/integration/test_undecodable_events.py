"""Messages on an event queue that are no event at all — bad JSON, invalid UTF-8, a pickle, plain
text, no content type, JSON 100,000 levels deep, JSON that is not an object — each land in
dlq.<service> with the reason, bytes for bytes as they came; a pickle is never unpickled; the
service keeps consuming and handles the good event published after them."""
from __future__ import annotations

import os
import pickle
import time
import uuid

from sqlalchemy import create_engine, text

from services.review.service import ReviewService
from tests.agencies import LINGCHUAN, agencies
from tests.events import dead_letters, proposed, publish_event, publish_raw

AGENCIES = agencies(LINGCHUAN)


class _Detonator:
    """Unpickling this makes a directory: proof that someone ran pickle.loads."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_every_undecodable_event_is_dead_lettered_with_its_reason(
        container_factory, rabbit_config, keys_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES, DATABASE_URL=url)
    container_factory(ReviewService, config).start()
    uri = config["AMQP_URI"]
    marker = tmp_path / "unpickled"
    deep = b"[" * 100_000 + b"]" * 100_000
    kinds = {
        "bad JSON": (b'{"message_id": "m-1", "data": {', "application/json", "utf-8",
                     "body is not JSON"),
        "invalid UTF-8": (b'{"message_id": "\xff\xfe\xfd"}', "application/json", "utf-8",
                          "body is not valid UTF-8"),
        "pickle": (pickle.dumps(_Detonator(str(marker))), "application/x-python-serialize",
                   "binary", "content type 'application/x-python-serialize' is not "
                             "application/json"),
        "text/plain": ("决定已作出".encode(), "text/plain", "utf-8",
                       "content type 'text/plain' is not application/json"),
        "no content type": (b'{"message_id": "m-2"}', None, None,
                            "content type None is not application/json"),
        "deep nesting": (deep, "application/json", "utf-8", "deeper than the decoder allows"),
        "not an object": (b'["decision_proposed.v1"]', "application/json", "utf-8",
                          "body is a JSON list, not the object of an event envelope"),
    }
    for kind, (body, content_type, encoding, _) in kinds.items():
        publish_raw(uri, body, content_type=content_type, content_encoding=encoding,
                    message_id=kind)
    good = proposed(keys_dir, str(uuid.uuid4()))
    publish_event(uri, good)

    letters = {m.properties["message_id"]: m for m in dead_letters(uri, "dlq.review", len(kinds))}
    for kind, (body, content_type, _, reason) in kinds.items():
        letter = letters[kind]
        headers = letter.headers
        assert headers["x-dead-reason"].startswith("event_undecodable: "), (kind, headers)
        assert reason in headers["x-dead-reason"], (kind, headers["x-dead-reason"])
        assert headers["x-dead-error"] == "EventUndecodable"
        assert headers["x-attempts"] == 0            # no handler ran
        assert headers["x-original-routing-key"] == "decision_proposed.v1"
        assert headers["x-original-content-type"] == (content_type or "")
        assert headers["x-handler"] == "review.on_decision_proposed"
        got = letter.body if isinstance(letter.body, bytes) else letter.body.encode("utf-8")
        assert got == body, kind                     # as it came, for an operator to inspect
    assert not marker.exists(), "the pickle was unpickled"

    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:           # the service consumes on
            with engine.connect() as c:
                ids = [r[0] for r in c.execute(text("select message_id from inbox"))]
            if ids:
                break
            time.sleep(0.1)
        assert ids == [good["message_id"]]
        with engine.connect() as c:
            assert [r[0] for r in c.execute(text("select case_id from reviews"))] == [
                good["data"]["case_id"]]
    finally:
        engine.dispose()
