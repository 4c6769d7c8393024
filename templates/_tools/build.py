"""Build the standard Sanxiang template set: templates/<id>/1/template.docx + manifest.yaml,
from the specs (specs.py: manifest and layout of each template; gw.py: the GB/T 9704 page).

    python templates/_tools/build.py            # all templates
    python templates/_tools/build.py penalty_decision service_receipt
    python templates/_tools/build.py --check    # exit 1 if a file differs from its build

The specs are the source of truth; the files are their build outputs, committed because the
renderer reads them. A build is deterministic (the zip entries' times are fixed, below) and a
file whose bytes equal its build is not written at all, so rebuilding an unchanged spec
changes neither the bytes nor the mtime and a running renderer registers no new version.
Validate what was built with the renderer's own checks: `sanxiang templates lint`.
"""

import argparse
import json
import os
import re
import sys
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parents[1]))  # the project, for the renderer's zip writer

from specs import TEMPLATES  # noqa: E402

from services.renderer.rendering import DOS_EPOCH, deterministic_zip, dos_time  # noqa: E402

TEMPLATES_DIR = HERE.parent

# The zip entries' time of each shipped template: the moment its file was first built
# (2026-11-21 06:51, at :46 or :48 seconds), kept so that its bytes — and the version every
# deployment registered them as — stay as they are. A template not listed here is built with
# 1980-01-01 00:00, as rendered documents are.
FIRST_BUILT = {
    46: ("case_approval", "evidence_preservation_notice", "hearing_notice", "interview_record",
         "legal_review_opinion", "onsite_inspection_record", "penalty_decision",
         "penalty_notice", "reminder_notice", "service_receipt"),
    48: ("annual_statistics_report", "case_closing_approval", "decision_summary"),
}
ZIP_TIMES = {template_id: (2026, 11, 21, 6, 51, second)
             for second, ids in FIRST_BUILT.items() for template_id in ids}

YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
FIELD_KEY_ORDER = ("type", "label", "required", "max_length", "pattern", "enum", "fields",
                   "items")


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if v is None:
        return "null"
    if re.fullmatch(r"[a-z][a-z_]*", v) and v not in YAML_WORDS:
        return v                                  # plain identifiers: string, organisation
    return json.dumps(v, ensure_ascii=False)   # a JSON string is a YAML double-quoted scalar


def _plain_key(k):
    return k if k.replace("_", "").isalnum() and k.isascii() else json.dumps(k, ensure_ascii=False)


def _is_flat(d):
    return all(not isinstance(v, (dict, list)) or
               (k == "enum" and isinstance(v, list)) for k, v in d.items())


def _flow(d):
    parts = []
    for k, v in d.items():
        if isinstance(v, list):
            parts.append(f"{_plain_key(k)}: [{', '.join(_scalar(x) for x in v)}]")
        else:
            parts.append(f"{_plain_key(k)}: {_scalar(v)}")
    return "{" + ", ".join(parts) + "}"


def _emit(obj, indent, fields_mode, out):
    """Append the YAML lines of a mapping or a list to `out`."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            _emit_entry(_plain_key(k), v, indent, fields_mode, out)
    elif isinstance(obj, list):
        pad = "  " * indent
        for item in obj:
            if isinstance(item, dict):
                sub = []
                _emit(item, indent + 1, fields_mode, sub)
                out.append(f"{pad}- {sub[0].lstrip()}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_scalar(item)}")


def _emit_entry(key, v, indent, fields_mode, out):
    """One `key: value` of a mapping: inline when flat or empty, else a nested block."""
    pad = "  " * indent
    if fields_mode and isinstance(v, dict) and _is_flat(v):
        out.append(f"{pad}{key}: {_flow(v)}")
    elif isinstance(v, (dict, list)) and not v:
        out.append(f"{pad}{key}: {'{}' if isinstance(v, dict) else '[]'}")
    elif isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
        out.append(f"{pad}{key}: [{', '.join(_scalar(x) for x in v)}]")
    elif isinstance(v, (dict, list)):
        out.append(f"{pad}{key}:")
        _emit(v, indent + 1, fields_mode, out)
    else:
        out.append(f"{pad}{key}: {_scalar(v)}")


def _ordered_fields(fields):
    out = {}
    for name, spec in fields.items():
        spec = dict(spec)
        o = {k: spec.pop(k) for k in FIELD_KEY_ORDER if k in spec}
        o.update(spec)
        if "fields" in o:
            o["fields"] = _ordered_fields(o["fields"])
        if "items" in o:
            items = dict(o["items"])
            if "fields" in items:
                items["fields"] = _ordered_fields(items["fields"])
            o["items"] = items
        out[name] = o
    return out


def manifest_yaml(t):
    lines = [
        f"# Template {t['id']} version {version(t)} — generated by templates/_tools/build.py.",
        f"id: {t['id']}",
        f"version: {version(t)}",
        f"title: {_scalar(t['title'])}",
        f"description: {_scalar(t['description'])}",
        "fields:",
    ]
    _emit(_ordered_fields(t["fields"]), 1, True, lines)
    lines.append("sample:")
    _emit(t["sample"], 1, False, lines)
    return "\n".join(lines) + "\n"


def version(t: dict) -> int:
    """The spec's version (1 unless it names another: a later version of a template is a spec
    of its own, beside the earlier one, which keeps its bytes)."""
    return int(t.get("version", 1))


def docx_bytes(t: dict) -> bytes:
    """The template's .docx, the same bytes on every build of the same spec."""
    out = BytesIO()
    t["build"]().save(out)
    when = ZIP_TIMES.get(t["id"]) if version(t) == 1 else None
    return deterministic_zip(out.getvalue(), dos_time(when) if when else DOS_EPOCH)


def outputs(t: dict, root: Path) -> dict[Path, bytes]:
    folder = root / t["id"] / str(version(t))
    return {folder / "template.docx": docx_bytes(t),
            folder / "manifest.yaml": manifest_yaml(t).encode("utf-8")}


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write `content` unless the file already holds exactly it; True when written."""
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, path)  # the renderer never reads a half-written file
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("template_id", nargs="*")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming each file that differs from its build")
    parser.add_argument("--dir", type=Path, default=TEMPLATES_DIR,
                        help="templates folder (default: the one this script is in)")
    args = parser.parse_args(argv[1:])
    unknown = set(args.template_id) - {t["id"] for t in TEMPLATES}
    if unknown:
        sys.exit(f"unknown template id(s): {', '.join(sorted(unknown))}")
    stale = 0
    for t in TEMPLATES:
        if args.template_id and t["id"] not in args.template_id:
            continue
        for path, content in outputs(t, args.dir).items():
            rel = path.relative_to(args.dir).as_posix()
            if args.check:
                same = path.is_file() and path.read_bytes() == content
                stale += not same
                print(f"{'ok' if same else 'differs from its build'}: {rel}")
            else:
                print(f"{'written' if write_if_changed(path, content) else 'unchanged'}: {rel}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
