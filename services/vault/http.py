"""The vault's HTTP entrypoint: the local store's upload endpoint. The request body is read as a
stream (never whole into memory) into the staging area; the upload id, unguessable and open
only until it expires or completes, is the capability — as a presigned URL is for S3."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

from services.vault import usecases
from services.vault.storage.config import Stores
from shared.errors import NotFound, SanxiangError, ValidationFailed
from shared.persistence.db import Db

STATUS = {"validation_failed": 400, "not_found": 404, "domain_rule_violated": 409}


def receive(request: Any, upload_id: str, *, db: Db, stores: Stores, now: datetime) -> Response:
    try:
        try:
            uuid.UUID(upload_id)
        except ValueError:
            raise NotFound(f"no upload {upload_id}", message_zh=f"未找到上传 {upload_id}",
                           details={"upload_id": upload_id}) from None
        # a chunked body has no length: the server's own input stream ends it
        stream = get_input_stream(request.environ, safe_fallback=False)
        size = usecases.receive_upload(upload_id, stream, db=db, stores=stores, now=now)
    except (ValidationFailed, NotFound, SanxiangError) as exc:
        return Response(json.dumps(exc.payload(), ensure_ascii=False),
                        status=STATUS.get(exc.code, 400), mimetype="application/json")
    return Response(json.dumps({"upload_id": upload_id, "size": size}), status=200,
                    mimetype="application/json")
