"""What is wrong with a rule-set file beyond its schema: the checks that span fields, and
marshmallow's messages turned into (path, rule) pairs in plain words."""
from __future__ import annotations

import datetime as _dt
from typing import Any

REQUIRED_PERIODS = ("av_storage", "case_archive", "publish_licence_penalty",
                    "publish_other_decision", "withdraw_changed_publication",
                    "review", "review_extension")


def cross_check(data: dict, partial: bool) -> list[tuple[tuple, str]]:
    """Rules marshmallow cannot express field by field; returns (path, rule) pairs.

    Written defensively: it runs even when field validation failed, on whatever is there.
    """
    out: list[tuple[tuple, str]] = []

    def get(*path):
        node: Any = data
        for key in path:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            else:
                return None
        return node

    periods = get("periods")
    if isinstance(periods, dict) and not partial:
        for name in REQUIRED_PERIODS:
            if name not in periods:
                out.append((("periods",), f"required period {name!r} is missing"))

    av = get("av") or {}
    if isinstance(av, dict):
        mandatory = av.get("mandatory_situations")
        discretionary = av.get("discretionary_situations")
        if isinstance(mandatory, list) and isinstance(discretionary, list):
            codes = {e.get("code") for e in mandatory if isinstance(e, dict)}
            for i, entry in enumerate(discretionary):
                if isinstance(entry, dict) and entry.get("code") in codes:
                    out.append((("av", "discretionary_situations", i, "code"),
                                f"{entry['code']!r} is also a mandatory situation; "
                                "a situation is either mandatory or discretionary"))

    classes = get("retention", "classes")
    if isinstance(classes, list):
        for i, cls in enumerate(classes):
            if not isinstance(cls, dict):
                continue
            kinds = [k for k in ("years", "permanent", "per_archives_rules")
                     if k in cls and cls[k] is not False]
            if len(kinds) != 1:
                out.append((("retention", "classes", i),
                            "give exactly one of years: N, permanent: true, "
                            f"per_archives_rules: true (got {', '.join(kinds) or 'none'})"))

    opinions = get("review", "opinion_types")
    approving = get("review", "approving_opinions")
    if isinstance(opinions, list) and isinstance(approving, list):
        codes = {e.get("code") for e in opinions if isinstance(e, dict)}
        for i, code in enumerate(approving):
            if code not in codes:
                out.append((("review", "approving_opinions", i),
                            f"{code!r} is not one of this rule set's opinion_types"))

    due = get("disclosure", "annual_report", "due")
    if isinstance(due, dict) and isinstance(due.get("month"), int) \
            and isinstance(due.get("day"), int):
        try:
            _dt.date(2000, due["month"], due["day"])  # a leap year: 2-29 is a real due date
        except ValueError:
            out.append((("disclosure", "annual_report", "due"),
                        f"no such day of the year: month {due['month']}, day {due['day']}"))

    modes = get("records", "start_modes")
    if isinstance(modes, list) and isinstance(periods, dict):
        for i, mode in enumerate(modes):
            ref = get("records", "start_modes", i, "emergency_start", "approval_period") \
                if isinstance(mode, dict) else None
            if isinstance(ref, str) and ref not in periods:
                out.append((("records", "start_modes", i, "emergency_start", "approval_period"),
                            f"names period {ref!r}, which this rule set does not define"))
    return out



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
