"""An AV record against the vault object it names: the media a writer declares must be the
object the vault holds — the same SHA-256 and size, an AV object, of this case or bound to no
case yet. Each mismatch is named by the request's field and the rule it breaks; an object the
vault does not show the writer (missing, disposed or another agency's) reads as missing."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def mismatches(media: Mapping[str, Any], obj: Mapping[str, Any] | None, *, case_id: str,
               agency: str) -> dict[str, list[str]]:
    """Field path -> the rules the declared `media` breaks against the vault's `obj` (None:
    the vault has no such object for the writer); empty where it is the object."""
    ref = media["object_ref"]
    if obj is None or obj.get("agency") != agency or obj.get("state") != "stored":
        return {"media.object_ref": [
            f"the vault holds no object {ref} of agency {agency}; store the file with "
            f"vault.begin_upload and vault.complete_upload first and name the id it answers"]}
    if obj["subject"] != "av":
        return {"media.object_ref": [f"vault object {ref} is a {obj['subject']} object, "
                                     f"not audio/video (subject av)"]}
    if obj.get("case_id") not in (None, case_id):
        return {"media.object_ref": [f"vault object {ref} is bound to another case"]}
    bad: dict[str, list[str]] = {}
    if obj["sha256"] != media["sha256"]:
        bad["media.sha256"] = [f"does not match the SHA-256 of vault object {ref} "
                               f"({obj['sha256']})"]
    if obj["size"] != media["size_bytes"]:
        bad["media.size_bytes"] = [f"does not match the size of vault object {ref} "
                                   f"({obj['size']} bytes)"]
    return bad


def held(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What the AV entry keeps of the vault's object: its id, digests, size, when the vault
    stored it and the retention class it is kept under."""
    retention = obj.get("retention") or {}
    return {"object_id": obj["id"], "digests": dict(obj["digests"]), "size": obj["size"],
            "stored_at": obj["stored_at"], "retention_class": retention.get("class")}
