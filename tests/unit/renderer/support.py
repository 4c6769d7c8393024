"""What the renderer's tests share beyond the template fixture: the agency they deploy, the
docx read back out of a render reply (its hash and size checked), and a table's row count."""
from __future__ import annotations

import base64
import hashlib

from sqlalchemy import create_engine, text

from tests.agencies import LINGCHUAN, agencies

AGENCIES = agencies(LINGCHUAN)


def count(db_url: str, table: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"select count(*) from {table}")).scalar_one()
    finally:
        engine.dispose()


def docx_of(result: dict) -> bytes:
    out = result["outputs"][0]
    assert out["format"] == "docx" and out["object_ref"] is None
    blob = base64.b64decode(out["content_base64"])
    assert hashlib.sha256(blob).hexdigest() == out["sha256"] and len(blob) == out["size"]
    return blob
