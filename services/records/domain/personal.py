"""Personal data of the persons a party may not learn about — informants, complainants,
witnesses, third parties (000 第三十四条): finding it in any text, spelling variants included,
masking it for a party, and sealing it into the chain as salted commitments, so that a masked
view still proves its entries' integrity without letting anyone test a guess against a hash.
Pure functions; no framework imports."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import secrets as random
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

MASK = "［已隐去］"
# 000 第三十四条: a party reads its records without informants, complainants, third parties.
MASKED_PERSON_ROLES = ("informant", "complainant", "third_party", "witness")
PERSONAL_FIELDS = ("name", "id_number", "phone", "address")

# What may stand between two characters of a name or number and still spell it: spaces (the
# ideographic one too), dashes, dots, middle dots, slashes, commas. A few at most, so that
# characters far apart in a sentence do not spell a name.
_SEPARATORS = " \t\r\n\u00a0\u3000-‐‑‒–—―－·・•.．,，、_/／\\|"
_SEP = "[" + re.escape(_SEPARATORS) + "]{0,3}"


def protected_persons(persons: list[dict]) -> tuple[list[dict], list[str]]:
    """Persons masked for a party, and the strings to scrub wherever they appear."""
    masked: list[dict] = []
    found: list[str] = []
    for person in persons:
        if person.get("role") in MASKED_PERSON_ROLES:
            found += [value for k in PERSONAL_FIELDS if (value := person.get(k))]
            masked.append({"id": person["id"], "role": person["role"], "name": MASK})
        else:
            masked.append(person)
    # longest first so "张三丰" is not left as "［已隐去］丰"
    return masked, sorted(set(found), key=len, reverse=True)


def _char_class(char: str) -> str:
    """A character of a secret as it may be written: a digit or Latin letter also full-width
    (and a letter in either case: the X of an ID number)."""
    if char.isascii() and char.isalnum():
        variants = {char, chr(ord(char) + 0xFEE0)}
        if char.isalpha():
            variants |= {char.swapcase(), chr(ord(char.swapcase()) + 0xFEE0)}
        return "[" + "".join(sorted(variants)) + "]"
    return re.escape(char)


def _spelled(secret: str) -> str | None:
    """The pattern of every spelling of `secret`: full-width forms folded (NFKC), separators
    dropped from the secret and allowed between any two of its characters."""
    chars = [c for c in unicodedata.normalize("NFKC", secret) if c not in _SEPARATORS
             and not c.isspace()]
    return _SEP.join(_char_class(c) for c in chars) if chars else None


@functools.lru_cache(maxsize=256)
def detector(found: tuple[str, ...]) -> re.Pattern | None:
    """One pattern for all of a case's secrets, longest first; None when there are none."""
    patterns = [p for p in (_spelled(s) for s in found) if p]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True)))


def mask(value: Any, found: list[str] | tuple[str, ...]) -> Any:
    """`value` (text, or lists and dicts of it) with every spelling of a secret replaced."""
    pattern = detector(tuple(found))
    return _mask(value, pattern) if pattern is not None else value


def _mask(value: Any, pattern: re.Pattern) -> Any:
    if isinstance(value, str):
        return pattern.sub(MASK, value)
    if isinstance(value, list):
        return [_mask(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v, pattern) for k, v in value.items()}
    return value


def leaks(value: Any, pattern: re.Pattern | None) -> bool:
    """Does any text in `value` spell a secret?"""
    return pattern is not None and any(pattern.search(s) for _, s in _texts(value, ()))


def _texts(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _texts(v, path + (i,))
    elif isinstance(value, dict):
        for k in sorted(value):
            yield from _texts(value[k], path + (k,))


# ---- salted commitments ----------------------------------------------------------------
#
# A text of an entry that spells a protected person's data enters the hashed body as
# {"commitment": SHA-256(salt ‖ its canonical JSON)} with a fresh random 32-byte salt. The
# salts (with the path of each commitment) are kept beside the entry, never in the hashed
# form: staff, who read the text, re-derive every commitment from text and salt; anybody
# else sees a commitment that no guess can be tested against without the salt.

def commitment(salt: bytes, value: str) -> str:
    h = hashlib.sha256(salt)
    h.update(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def seal(body: dict, pattern: re.Pattern | None,
         salt: Callable[[], bytes] = lambda: random.token_bytes(32)) -> tuple[dict, list]:
    """(the body to hash, openings): every text of body["content"] that spells a secret
    replaced by its commitment; openings = [[path, salt hex], …] in path order, empty when
    nothing was sealed (the body is then hashed as it is)."""
    if pattern is None:
        return body, []
    spelled = [(path, text) for path, text in _texts(body["content"], ("content",))
               if pattern.search(text)]
    if not spelled:
        return body, []
    sealed, openings = json.loads(json.dumps(body)), []  # a copy the caller does not share
    for path, text in spelled:
        fresh = salt()
        _put(sealed, path, {"commitment": commitment(fresh, text)})
        openings.append([list(path), fresh.hex()])
    return sealed, openings


def reseal(body: dict, openings: list) -> dict:
    """The hashed body re-derived from the plain body and its openings (staff verification);
    ValueError when an opening names no text of the body."""
    sealed = json.loads(json.dumps(body))
    for path, salt_hex in openings:
        text = _get(body, path)
        if not isinstance(text, str):
            raise ValueError(f"no text at {'/'.join(map(str, path))}")
        _put(sealed, path, {"commitment": commitment(bytes.fromhex(salt_hex), text)})
    return sealed


def _get(value: Any, path: list) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _put(value: Any, path: list | tuple, new: Any) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


# ---- classified content ------------------------------------------------------------------
#
# Content classified as a secret (定密) — the whole content of an entry, or named fields of
# it — is left out of a party's view, which says what was withheld and why: the category,
# never the content (000 第三十三条 no release outside legal procedure; 第三十四条 a party's
# reading without state secrets; 第三十九条 secrets kept by the rules of secrecy). The mark is
# an entry of its own (kind CLASSIFICATION), naming the entry it classifies: the chain is
# append-only, so nothing already hashed is rewritten.

CLASSIFICATION = "classification"
SECRET_LABELS = {"state_secret": "国家秘密", "commercial_secret": "商业秘密",
                 "personal_privacy": "个人隐私"}
SECRET_BASIS = "000 第三十三条、第三十四条、第三十九条"


@dataclasses.dataclass(frozen=True)
class Secret:
    """A mark: entry `target_seq`'s content (or its `fields`) is `category`, marked by the
    classification entry `by_seq`."""
    target_seq: int
    category: str
    fields: tuple[str, ...] | None
    by_seq: int

    @staticmethod
    def of(seq: int, content: dict[str, Any]) -> Secret:
        named = content.get("content_fields")
        return Secret(int(content["target_seq"]), str(content["category"]),
                      tuple(named) if named else None, seq)

    def withheld(self) -> dict[str, Any]:
        return {"category": self.category, "label": SECRET_LABELS[self.category],
                "content_fields": list(self.fields) if self.fields else None,
                "classified_by_seq": self.by_seq, "basis": SECRET_BASIS}


def secrets_by_entry(marks: list[tuple[int, dict[str, Any]]]) -> dict[int, list[Secret]]:
    """The marks of a case's classification entries ([(seq, content)]) per entry they mark;
    a classification entry's own reason is marked as its target is."""
    out: dict[int, list[Secret]] = {}
    for seq, content in marks:
        secret = Secret.of(seq, content)
        out.setdefault(secret.target_seq, []).append(secret)
        out.setdefault(seq, []).append(dataclasses.replace(secret, target_seq=seq,
                                                           fields=("reason",)))
    return out


def withhold(content: dict[str, Any], marks: list[Secret], *,
             correction: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the content a party may read, what was withheld from it): a field classified is
    dropped; a content classified whole leaves nothing. In a correction the marked fields
    are those of the corrected content (content["content"])."""
    if not marks:
        return content, []
    if any(mark.fields is None for mark in marks):
        return {}, [mark.withheld() for mark in marks]
    dropped = {name for mark in marks for name in mark.fields or ()}
    if correction and isinstance(content.get("content"), dict):
        inner = {k: v for k, v in content["content"].items() if k not in dropped}
        return dict(content, content=inner), [mark.withheld() for mark in marks]
    return ({k: v for k, v in content.items() if k not in dropped},
            [mark.withheld() for mark in marks])
