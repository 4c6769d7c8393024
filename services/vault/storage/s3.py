"""The production store: any S3 service with Object Lock (AWS, Ceph RGW, MinIO), through the
`minio` SDK (pinned below 8: its next major is an incompatible rewrite).

The bucket is made with object lock (which forces versioning); every object is written with a
Content-MD5 header of our own (minio sends none over plain HTTP, and AWS and moto refuse a PUT
into a locked bucket without one), in parts of `part_size` bytes for large files, hashed as it
streams; its digests travel in its metadata. Retention is set once the digests are checked, so
content that fails them is removed before anything locks it. The refusals the S3 service may
not make itself (shortening a COMPLIANCE retention: moto allows it) are the contract's
(check_retention_change), checked here before the call. Uploads go to a staging bucket without
a lock, by a presigned PUT — signed for `presigner`, a client of the endpoint the uploader
reaches (VAULT_S3_PUBLIC_ENDPOINT; the vault's own client when unset): a presigned URL names its
host and signs it, so one signed for an address only the vault's network knows (compose's
`minio:9000`) is of no use to a caller outside. Everything the vault itself reads and writes
goes through `client`."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, cast

import eventlet
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.datatypes import Part
from minio.error import S3Error
from minio.retention import Retention
from minio.xml import marshal

from services.vault.storage import (
    FOREVER,
    Lock,
    Written,
    check_retention_change,
    no_object,
    not_as_declared,
    not_deletable,
    not_recorded_content,
    stored_once,
)
from services.vault.storage.hashing import CHUNK, digest_stream, hashers, mismatched

PART_SIZE = 16 * 1024 * 1024   # S3's least part is 5 MiB; 16 MiB keeps 1 GiB to 64 parts
MULTIPART_FROM = 64 * 1024 * 1024  # an upload this large is sent in presigned parts
MAX_PARTS = 10000                  # S3's limit on the parts of one upload
META = "x-amz-meta-vault-"
_MODES = {"COMPLIANCE": COMPLIANCE, "GOVERNANCE": GOVERNANCE}
_MISSING = ("NoSuchKey", "NoSuchVersion", "NoSuchObjectLockConfiguration", "ResourceNotFound")


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class S3Store:
    kind = "s3"

    def __init__(self, client: Minio, bucket: str, staging_bucket: str, *,
                 part_size: int = PART_SIZE, multipart_from: int = MULTIPART_FROM):
        self.client = client
        self.presigner = client      # open_stores sets a client of the public endpoint
        self.bucket = bucket
        self.staging = staging_bucket
        self.part_size = part_size
        self.multipart_from = multipart_from
        self.where = f"s3://{bucket}"

    def ensure_buckets(self) -> None:
        """The locked bucket (object lock, hence versioning) and the staging bucket, made where
        they are missing; a bucket without object lock is refused, never used."""
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket, object_lock=True)
        if self.client.get_object_lock_config(self.bucket) is None:  # raises when not enabled
            raise RuntimeError(f"bucket {self.bucket} has no object lock")
        if not self.client.bucket_exists(self.staging):
            self.client.make_bucket(self.staging)

    # ---- writing -------------------------------------------------------------------------
    def put(self, key: str, stream: BinaryIO, *, lock: Lock, algorithms: Sequence[str],
            expect: dict[str, str] | None = None) -> Written:
        if self.exists(key):
            raise stored_once(key)
        found = hashers(algorithms)
        version, size = self._stream(key, stream, found)
        digests = {name: h.hexdigest() for name, h in found.items()}
        wrong = mismatched(digests, expect)
        if wrong:
            self.client.remove_object(self.bucket, key, version_id=version)
            raise not_as_declared(key, wrong)
        # S3 metadata is fixed when an object is created, before its digests are known: they
        # go into the object's fixity record beside it (fixity/<key>.json)
        self.client._put_object(self.bucket, _sidecar(key), _fixity(size, digests),
                                headers={"Content-MD5": _md5(_fixity(size, digests))})
        self._retain(key, lock, version)
        if lock.legal_hold:
            self.client.enable_object_legal_hold(self.bucket, key, version_id=version)
        return Written(key=key, size=size, digests=digests, lock=lock, version=version)

    def _stream(self, key: str, stream: BinaryIO, found: dict) -> tuple[str | None, int]:
        """Write `stream` as a new version of `key` — one PUT, or parts of `part_size` — each
        request with its Content-MD5, hashing into `found` as it goes; (version, size)."""
        first = _read_part(stream, self.part_size, found)
        if len(first) < self.part_size:
            result = self.client._put_object(self.bucket, key, first,
                                             headers={"Content-MD5": _md5(first)})
            return result.version_id, len(first)
        return self._multipart(key, first, stream, found)

    def _multipart(self, key: str, first: bytes, stream: BinaryIO,
                   found: dict) -> tuple[str | None, int]:
        upload_id = self.client._create_multipart_upload(self.bucket, key, {})
        parts, size, block, number = [], 0, first, 1
        try:
            while block:
                etag = self.client._upload_part(self.bucket, key, block,
                                                {"Content-MD5": _md5(block)}, upload_id, number)
                parts.append(Part(number, etag))
                size += len(block)
                number += 1
                block = _read_part(stream, self.part_size, found)
            result = self.client._complete_multipart_upload(self.bucket, key, upload_id, parts)
        except BaseException:
            with contextlib.suppress(S3Error):
                self.client._abort_multipart_upload(self.bucket, key, upload_id)
            raise
        return result.version_id, size

    def commit_staged(self, upload_id: str, key: str, *, lock: Lock,
                      algorithms: Sequence[str], expect: dict[str, str],
                      verified: dict[str, str] | None = None) -> Written:
        # copied into the locked bucket, so hashed as it is copied whatever `verified` says
        with self._get(self.staging, _staged(upload_id)) as stream:
            written = self.put(key, stream, lock=lock, algorithms=algorithms, expect=expect)
        self.discard_staged(upload_id)
        return written

    # ---- reading -------------------------------------------------------------------------
    def stat(self, key: str) -> Written:
        try:
            info = self.client.stat_object(self.bucket, key)
            with self._get(self.bucket, _sidecar(key)) as side:
                fixity = _parse_fixity(side.read())
        except S3Error as exc:
            if exc.code in _MISSING:
                raise no_object(key) from None
            raise
        return Written(key=key, size=info.size or 0, digests=fixity["digests"],
                       lock=self._lock(info.metadata), version=info.version_id,
                       extra={"written_at": info.last_modified.isoformat()
                              if info.last_modified else None})

    @staticmethod
    def _lock(headers) -> Lock:
        """The object's lock as its HEAD answer states it (x-amz-object-lock-*)."""
        hold = (headers.get("x-amz-object-lock-legal-hold") or "").upper() == "ON"
        mode, until = (headers.get("x-amz-object-lock-mode"),
                       headers.get("x-amz-object-lock-retain-until-date"))
        if not mode or not until:
            return Lock("GOVERNANCE", datetime.min.replace(tzinfo=UTC), hold)
        moment = datetime.fromisoformat(until.replace("Z", "+00:00"))
        return Lock(mode.upper(), None if moment >= FOREVER else moment, hold)

    def exists(self, key: str) -> bool:
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return False
            raise
        return True

    @contextlib.contextmanager
    def _get(self, bucket: str, key: str) -> Iterator[BinaryIO]:
        response = self.client.get_object(bucket, key)
        try:
            yield cast(BinaryIO, response)  # urllib3's response: read(n) streams
        finally:
            response.close()
            response.release_conn()

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        try:
            cm = self._get(self.bucket, key)
            stream = cm.__enter__()
        except S3Error as exc:
            if exc.code in _MISSING:
                raise no_object(key) from None
            raise
        try:
            yield stream
        finally:
            cm.__exit__(None, None, None)

    def digest(self, key: str, algorithms: Sequence[str]) -> dict[str, str]:
        with self.open(key) as stream:
            return digest_stream(stream, algorithms)[1]

    # ---- locks ---------------------------------------------------------------------------
    def retain(self, key: str, lock: Lock, *, bypass: bool = False) -> Written:
        now = self.stat(key)
        check_retention_change(key, now.lock, lock, bypass=bypass)
        self._retain(key, lock, now.version, bypass=bypass)
        return Written(key, now.size, now.digests, Lock(lock.mode, lock.until,
                                                         now.lock.legal_hold), now.version)

    def _retain(self, key: str, lock: Lock, version: str | None, *,
                bypass: bool = False) -> None:
        body = marshal(Retention(_MODES[lock.mode], lock.until or FOREVER))
        headers: dict[str, Any] = {"Content-MD5": _md5(body)}
        if bypass:
            headers["x-amz-bypass-governance-retention"] = "true"
        query: dict[str, Any] = {"retention": ""}
        if version:
            query["versionId"] = version
        self.client._execute("PUT", self.bucket, object_name=key, body=body, headers=headers,
                             query_params=query)

    def hold(self, key: str, on: bool) -> Written:
        now = self.stat(key)
        if on:
            self.client.enable_object_legal_hold(self.bucket, key, version_id=now.version)
        else:
            self.client.disable_object_legal_hold(self.bucket, key, version_id=now.version)
        return Written(key, now.size, now.digests, Lock(now.lock.mode, now.lock.until, on),
                       now.version)

    def delete(self, key: str, *, at: datetime) -> None:
        now = self.stat(key)
        why = now.lock.holds_at(at)
        if why:
            raise not_deletable(key, why)
        for version in self.client.list_objects(self.bucket, prefix=key, include_version=True):
            if version.object_name == key:
                self.client.remove_object(self.bucket, key, version_id=version.version_id)
        self.client.remove_object(self.bucket, _sidecar(key))

    def restore(self, key: str, stream: BinaryIO, *, algorithms: Sequence[str],
                expect: dict[str, str], lock: Lock) -> Written:
        """A new version of `key` with the recorded content, streamed in parts like any write
        (the corrupt version stays under its own lock, as S3 keeps it); a copy that does not
        hash to `expect` is removed before anything locks it."""
        recorded = self.stat(key)
        found = hashers(algorithms)
        version, _ = self._stream(key, stream, found)
        wrong = mismatched({n: h.hexdigest() for n, h in found.items()}, expect)
        if wrong:
            self.client.remove_object(self.bucket, key, version_id=version)
            raise not_recorded_content(key, wrong)
        self._retain(key, lock, version)
        if lock.legal_hold:
            self.client.enable_object_legal_hold(self.bucket, key, version_id=version)
        return Written(key, recorded.size, dict(expect), lock, version)

    # ---- staging -------------------------------------------------------------------------
    def upload_target(self, upload_id: str, size: int, *, expires_seconds: int,
                      base_url: str | None = None) -> dict:
        """One presigned PUT; for a large file a presigned PUT per part of a multipart upload
        of the staging bucket (its upload id kept beside it), completed by complete_upload."""
        expires = timedelta(seconds=expires_seconds)
        key = _staged(upload_id)
        if size < self.multipart_from:
            url = self.presigner.get_presigned_url("PUT", self.staging, key, expires=expires)
            return {"method": "PUT", "url": url, "headers": {}, "parts": []}
        part = max(self.part_size, -(-size // MAX_PARTS))
        multipart = self.client._create_multipart_upload(self.staging, key, {})
        marker = multipart.encode()
        self.client._put_object(self.staging, _marker(upload_id), marker,
                                headers={"Content-MD5": _md5(marker)})
        parts = [{"part_number": n + 1, "offset": offset, "size": min(part, size - offset),
                  "url": self.presigner.get_presigned_url(
                      "PUT", self.staging, key, expires=expires,
                      extra_query_params={"partNumber": str(n + 1), "uploadId": multipart})}
                 for n, offset in enumerate(range(0, size, part))]
        return {"method": "PUT", "url": "", "headers": {}, "parts": parts}

    def _finish_multipart(self, upload_id: str) -> bool:
        """Complete a multipart upload whose parts were all sent; False if there is none."""
        try:
            with self._get(self.staging, _marker(upload_id)) as stream:
                multipart = stream.read().decode()
        except S3Error as exc:
            if exc.code in _MISSING:
                return False
            raise
        key, parts, marker = _staged(upload_id), [], None
        while True:
            listed = self.client._list_parts(self.staging, key, multipart,
                                             part_number_marker=marker)
            parts.extend(listed.parts)
            if not listed.is_truncated:
                break
            marker = listed.next_part_number_marker
        if not parts:
            return False
        self.client._complete_multipart_upload(self.staging, key, multipart, parts)
        self.client.remove_object(self.staging, _marker(upload_id))
        return True

    def stage(self, upload_id: str, stream: BinaryIO, *, limit: int) -> int:
        result = self.client.put_object(self.staging, _staged(upload_id), stream, length=-1,
                                        part_size=self.part_size)
        return self.client.stat_object(self.staging, result.object_name).size or 0

    @contextlib.contextmanager
    def open_staged(self, upload_id: str) -> Iterator[BinaryIO]:
        try:
            cm = self._get(self.staging, _staged(upload_id))
            stream = cm.__enter__()
        except S3Error as exc:
            if exc.code in _MISSING:
                raise no_object(f"staging/{upload_id}") from None
            raise
        try:
            yield stream
        finally:
            cm.__exit__(None, None, None)

    def staged_size(self, upload_id: str) -> int | None:
        for _ in range(2):
            try:
                return self.client.stat_object(self.staging, _staged(upload_id)).size
            except S3Error as exc:
                if exc.code not in _MISSING:
                    raise
            if not self._finish_multipart(upload_id):
                return None
        return None

    def discard_staged(self, upload_id: str) -> None:
        self.client.remove_object(self.staging, _staged(upload_id))


def _read_part(stream: BinaryIO, size: int, found: dict) -> bytes:
    """Up to `size` bytes of `stream`, read (and hashed) in chunks."""
    parts, got = [], 0
    while got < size:
        block = stream.read(min(CHUNK, size - got))
        if not block:
            break
        for h in found.values():
            h.update(block)
        parts.append(block)
        got += len(block)
        eventlet.sleep(0)
    return b"".join(parts)


def _staged(upload_id: str) -> str:
    return f"uploads/{upload_id}"


def _marker(upload_id: str) -> str:
    return f"uploads/{upload_id}.multipart"


def _sidecar(key: str) -> str:
    return f"fixity/{key}.json"


def _fixity(size: int, digests: dict[str, str]) -> bytes:
    return json.dumps({"size": size, "digests": digests}, sort_keys=True).encode()


def _parse_fixity(data: bytes) -> dict:
    return json.loads(data)
