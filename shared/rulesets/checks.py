"""What is wrong with a rule-set file beyond its schema: the checks that span fields, and
marshmallow's messages turned into (path, rule) pairs in plain words."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from shared.rulesets.vocabulary import EXTENSIBLE

REQUIRED_PERIODS = ("av_storage", "case_archive", "publish_licence_penalty",
                    "publish_other_decision", "withdraw_changed_publication",
                    "review", "review_extension")


Problem = tuple[tuple, str]  # (path in the file, the rule it breaks)


def cross_check(data: dict, partial: bool) -> list[Problem]:
    """Rules marshmallow cannot express field by field; returns (path, rule) pairs.

    Written defensively: it runs even when field validation failed, on whatever is there.
    """
    out: list[Problem] = []
    periods = _get(data, "periods")
    if isinstance(periods, dict) and not partial:
        out.extend((("periods",), f"required period {name!r} is missing")
                   for name in REQUIRED_PERIODS if name not in periods)
    out.extend(_av_situations(_get(data, "av")))
    out.extend(_retention_classes(_get(data, "retention", "classes")))
    out.extend(_archives_terms(_get(data, "retention")))
    out.extend(_approving_opinions(_get(data, "review", "opinion_types"),
                                   _get(data, "review", "approving_opinions")))
    out.extend(_approving_opinions(_get(data, "review", "opinion_types"),
                                   _get(data, "review", "collective_opinions"),
                                   "collective_opinions"))
    out.extend(_counsel_material(_get(data, "review", "materials"),
                                 _get(data, "review", "legal_counsel", "opinion_material")))
    out.extend(_annual_report_due(_get(data, "disclosure", "annual_report", "due")))
    out.extend(_redaction(_get(data, "disclosure", "redaction")))
    out.extend(_emergency_approval(_get(data, "records", "start_modes"), periods))
    out.extend(_declared_codes(_get(data, "vocabulary")))
    out.extend(_catalogue_items(_get(data, "major_decisions", "catalogue")))
    return out


def _declared_codes(vocabulary: Any) -> list[Problem]:
    """A code a rule set declares is a new one: a shared code keeps its shared meaning."""
    if not isinstance(vocabulary, dict):
        return []
    out: list[Problem] = []
    for key, (shared, _) in EXTENSIBLE.items():
        for i, entry in enumerate(vocabulary.get(key) or ()):
            if isinstance(entry, dict) and entry.get("code") in shared:
                out.append((("vocabulary", key, i, "code"),
                            f"{entry['code']!r} is already a shared code; declare new codes "
                            "only"))
    return out


_DIMENSIONS = ("act_types", "levels", "sectors", "amount_involved_from")


def _catalogue_items(items: Any) -> list[Problem]:
    """A catalogue item is confined by at least one factor (else it would make every
    decision major)."""
    if not isinstance(items, list):
        return []
    return [(("major_decisions", "catalogue", i),
             f"names none of {', '.join(_DIMENSIONS)}: it would make every decision major")
            for i, item in enumerate(items)
            if isinstance(item, dict) and not any(item.get(d) not in (None, [])
                                                  for d in _DIMENSIONS)]


# fields holding a natural person's ID number, and how much of one may show (the birth date,
# 7th-14th characters, never): 发改办财金〔2018〕424号; 法释〔2016〕19号
_ID_FIELDS = ("id_number", "legal_rep_id_number")
_ID_HEAD, _ID_TAIL = 6, 4


def _redaction(redaction: Any) -> list[Problem]:
    """An ID number is never published whole nor with its birth date; a field's action is
    publish, drop or a mask the section defines."""
    masks = _get(redaction, "masks")
    plans = _get(redaction, "fields")
    if not isinstance(masks, dict):
        return []
    out: list[Problem] = []
    id_mask = masks.get("id_number")
    if isinstance(id_mask, dict) and id_mask.get("keep") == "ends" and (
            _more(id_mask.get("head"), _ID_HEAD) or _more(id_mask.get("tail"), _ID_TAIL)):
        out.append((("disclosure", "redaction", "masks", "id_number"),
                    f"shows at most the first {_ID_HEAD} and last {_ID_TAIL} characters: an "
                    "ID number's birth date is never published"))
    for party, plan in (plans or {}).items() if isinstance(plans, dict) else ():
        for code, action in (plan or {}).items() if isinstance(plan, dict) else ():
            path = ("disclosure", "redaction", "fields", party, code)
            if code in _ID_FIELDS and action not in ("drop", "id_number"):
                out.append((path, "an ID number is dropped or masked as id_number"))
            elif action not in ("publish", "drop") and action not in masks:
                out.append((path, f"{action!r}: publish, drop or a mask of "
                                  "disclosure.redaction.masks"))
    return out


def _more(value: Any, limit: int) -> bool:
    return isinstance(value, int) and value > limit


def _get(data: Any, *path: str | int) -> Any:
    """What sits at `path`, or None where the file holds nothing (or something else) there."""
    node = data
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None
    return node


def _av_situations(av: Any) -> list[Problem]:
    """A situation is either mandatory or discretionary."""
    mandatory = _get(av, "mandatory_situations")
    discretionary = _get(av, "discretionary_situations")
    if not (isinstance(mandatory, list) and isinstance(discretionary, list)):
        return []
    codes = {e.get("code") for e in mandatory if isinstance(e, dict)}
    return [(("av", "discretionary_situations", i, "code"),
             f"{entry['code']!r} is also a mandatory situation; "
             "a situation is either mandatory or discretionary")
            for i, entry in enumerate(discretionary)
            if isinstance(entry, dict) and entry.get("code") in codes]


def _archives_terms(retention: Any) -> list[Problem]:
    """Each archives term keeps for years or permanently; the agency's term is one of them;
    SHA-256 is always among the digests (SM3 only beside it)."""
    out: list[Problem] = []
    terms = _get(retention, "archives_terms")
    for i, term in enumerate(terms if isinstance(terms, list) else ()):
        if isinstance(term, dict) and ("years" in term) == bool(term.get("permanent")):
            out.append((("retention", "archives_terms", i),
                        "give exactly one of years: N, permanent: true"))
    chosen = _get(retention, "archives_term", "value")
    codes = {str(t.get("code")) for t in terms if isinstance(t, dict)} \
        if isinstance(terms, list) else set()
    if isinstance(chosen, str) and chosen not in codes:
        out.append((("retention", "archives_term", "value"),
                    f"{chosen!r} is not one of the archives_terms ({', '.join(sorted(codes))})"))
    digests = _get(retention, "digests", "value")
    if isinstance(digests, list) and "sha256" not in digests:
        out.append((("retention", "digests", "value"),
                    "sha256 is always recorded; sm3 may be added beside it"))
    return out


def _retention_classes(classes: Any) -> list[Problem]:
    """Each retention class keeps for years, permanently or per the archives rules: one of them."""
    out: list[Problem] = []
    for i, cls in enumerate(classes if isinstance(classes, list) else ()):
        if not isinstance(cls, dict):
            continue
        kinds = [k for k in ("years", "permanent", "per_archives_rules")
                 if k in cls and cls[k] is not False]
        if len(kinds) != 1:
            out.append((("retention", "classes", i),
                        "give exactly one of years: N, permanent: true, "
                        f"per_archives_rules: true (got {', '.join(kinds) or 'none'})"))
    return out


def _approving_opinions(opinions: Any, approving: Any,
                        key: str = "approving_opinions") -> list[Problem]:
    """An approving (or collective) opinion is one of the rule set's opinion types."""
    if not (isinstance(opinions, list) and isinstance(approving, list)):
        return []
    codes = {e.get("code") for e in opinions if isinstance(e, dict)}
    return [(("review", key, i),
             f"{code!r} is not one of this rule set's opinion_types")
            for i, code in enumerate(approving) if code not in codes]


def _counsel_material(materials: Any, code: Any) -> list[Problem]:
    """The counsel's 法律意见书 is filed as one of the rule set's review materials."""
    if not (isinstance(materials, list) and isinstance(code, str)):
        return []
    if code in {e.get("code") for e in materials if isinstance(e, dict)}:
        return []
    return [(("review", "legal_counsel", "opinion_material"),
             f"{code!r} is not one of this rule set's review materials")]


def _annual_report_due(due: Any) -> list[Problem]:
    """The annual report falls due on a real day of the year."""
    if not (isinstance(due, dict) and isinstance(due.get("month"), int)
            and isinstance(due.get("day"), int)):
        return []
    try:
        _dt.date(2000, due["month"], due["day"])  # a leap year: 2-29 is a real due date
    except ValueError:
        return [(("disclosure", "annual_report", "due"),
                 f"no such day of the year: month {due['month']}, day {due['day']}")]
    return []


def _emergency_approval(modes: Any, periods: Any) -> list[Problem]:
    """An emergency start's approval period is one the rule set defines."""
    if not (isinstance(modes, list) and isinstance(periods, dict)):
        return []
    path = ("emergency_start", "approval_period")
    return [(("records", "start_modes", i, *path),
             f"names period {ref!r}, which this rule set does not define")
            for i, mode in enumerate(modes)
            if isinstance(ref := _get(mode, *path), str) and ref not in periods]


def messages_to_paths(messages: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            sub = path if key == "_schema" else path + (key,)
            out.extend(messages_to_paths(value, sub))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            out.extend(messages_to_paths(value, path))
    else:
        out.append((path, _PLAIN.get(str(messages), str(messages))))
    return out


_PLAIN = {"Unknown field.": "unknown key: not part of the rule-set format",
          "Missing data for required field.": "required key is missing",
          "Not a valid mapping type.": "must be a mapping of keys to values",
          "Invalid input type.": "must be a mapping of keys to values",
          "Not a valid date.": "must be a date written YYYY-MM-DD"}
