"""Checks a template maintainer runs before rolling out (`sanxiang templates lint`): the
manifest, variables the template uses but the field schema does not declare, tags split across
runs with different formatting, a StrictUndefined render of the sample data, and the GB/T 9704
page a 公文 template must keep (`layout_problems`). Each problem is one line naming the file."""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from lxml import etree

from services.renderer import fields as field_schema
from services.renderer.domain import stamp_for
from services.renderer.library import DOCX, MANIFEST, Folder
from services.renderer.rendering import jinja_env, render_docx
from shared.errors import ValidationFailed

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TAG = re.compile(r"\{[{%#].*?[}%#]\}", re.S)
OPEN = re.compile(r"\{[{%#]")
PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")

# GB/T 9704-2012 5.2 and 7.5 as the templates are built (templates/_tools/gw.py), in twips:
# A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; header 15 mm and footer 23 mm
# from the edge (the page number 7 mm below the text block); 22 lines of 28 characters — the
# grid linePitch 579 (28.95 pt) and charSpace -842 (16 pt - 842/4096 pt a character). Saving
# in LibreOffice silently rewrites some of these (charSpace -1025, header 0).
LAYOUT: tuple[tuple[str, str, int, str], ...] = (
    ("pgSz", "w", 11906, "A4 page width 210 mm"),
    ("pgSz", "h", 16838, "A4 page height 297 mm"),
    ("pgMar", "top", 2098, "top margin 37 mm"),
    ("pgMar", "bottom", 1984, "bottom margin 35 mm"),
    ("pgMar", "left", 1587, "left margin 28 mm"),
    ("pgMar", "right", 1474, "right margin 26 mm"),
    ("pgMar", "header", 850, "header distance 15 mm"),
    ("pgMar", "footer", 1304, "footer distance 23 mm (page number 7 mm below the text)"),
    ("docGrid", "linePitch", 579, "22 lines a page (28.95 pt)"),
    ("docGrid", "charSpace", -842, "28 characters a line"),
)
GRID_TYPES = ("lines", "linesAndChars")


def lint_folder(folder: Folder, root_name: str = "templates") -> tuple[list[str], list[str]]:
    """(problems, warnings) of one version folder."""
    if folder.template is None:
        return [f"{root_name}/{p}" for p in folder.problems], []
    t = folder.template
    docx_path = f"{root_name}/{t.source}/{DOCX}"
    manifest_path = f"{root_name}/{t.source}/{MANIFEST}"
    problems: list[str] = []
    warnings: list[str] = []
    try:
        problems += [f"{docx_path}: {p}" for p in split_tags(t.docx)]
        problems += [f"{docx_path}: {p}" for p in layout_problems(t.docx)]
        used = undeclared_variables(t.docx)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        return [f"{docx_path}: not a readable .docx ({exc})"], []
    except Exception as exc:  # a Jinja syntax error names the tag
        return problems + [f"{docx_path}: template does not parse: {exc}"], []
    declared = set(t.fields)
    problems += [f"{docx_path}: uses {{{{ {name} }}}}, which {MANIFEST} does not declare in fields"
                 for name in sorted(used - declared)]
    warnings += [f"{manifest_path}: field {name} is declared but the template never uses it"
                 for name in sorted(declared - used)]
    if not t.sample:
        problems.append(f"{manifest_path}: sample data is missing")
        return problems, warnings
    try:
        data = field_schema.validate(t.fields, t.sample)
    except ValidationFailed as exc:
        problems += [f"{manifest_path}: sample.{path.removeprefix('data.')}: {', '.join(rules)}"
                     for path, rules in exc.details.items()]
        return problems, warnings
    try:
        render_docx(t.docx, data, stamp_for(t, data))
    except Exception as exc:
        problems.append(f"{docx_path}: the sample does not render (StrictUndefined): "
                        f"{type(exc).__name__}: {exc}")
        return problems, warnings
    read: set[str] = set()  # once more, noting what the template reads
    render_docx(t.docx, _tracked(data, "", read), stamp_for(t, data))
    warnings += [f"{manifest_path}: field {path} is declared but the template never uses it"
                 for path in unread_fields(t.fields, t.sample, read, template_text(t.docx))]
    return problems, warnings


class _Tracked(dict):
    """Render data that notes which of its keys the template read ("rows[].item")."""

    def __init__(self, data: dict[str, Any], path: str, read: set[str]) -> None:
        super().__init__({k: _tracked(v, f"{path}{k}", read) for k, v in data.items()})
        self._path, self._read = path, read

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        self._read.add(f"{self._path}{key}")
        return value


def _tracked(value: Any, path: str, read: set[str]) -> Any:
    if isinstance(value, dict):
        return _Tracked(value, f"{path}." if path else "", read)
    if isinstance(value, list):
        return [_tracked(v, f"{path}[]", read) for v in value]
    return value


def nested_fields(fields: dict[str, Any], path: str = "") -> list[str]:
    """The paths of the fields declared inside objects and list items ("rows[].item")."""
    out = []
    for name, spec in fields.items():
        inner = spec.get("fields") if spec["type"] == "object" else \
            (spec.get("items") or {}).get("fields") if spec["type"] == "list" else None
        if inner:
            prefix = f"{path}{name}{'[]' if spec['type'] == 'list' else ''}."
            out += [f"{prefix}{n}" for n in inner]
            out += nested_fields(inner, prefix)
    return out


def unread_fields(fields: dict[str, Any], sample: dict[str, Any], read: set[str],
                  text: str) -> list[str]:
    """Nested fields the sample's render never read. One the sample leaves empty may sit in a
    branch the sample does not take: it passes when its name appears in the template."""
    out = []
    for path in nested_fields(fields):
        if path in read:
            continue
        leaf = path.rsplit(".", 1)[-1]
        if not re.search(rf"\b{re.escape(leaf)}\b", text) or _sample_has(sample, path):
            out.append(path)
    return out


def _sample_has(sample: dict[str, Any], path: str) -> bool:
    """True when the sample gives a non-empty value at path (so the render would read it)."""
    values: list[Any] = [sample]
    for part in path.split("."):
        name, is_list = part.removesuffix("[]"), part.endswith("[]")
        found: list[Any] = []
        for v in values:
            if isinstance(v, dict) and v.get(name) not in (None, "", [], False):
                found.extend(v[name] if is_list else [v[name]])
        values = found
    return bool(values)


def template_text(docx: bytes) -> str:
    """The XML of the document, its headers and footers, as one string."""
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return "".join(z.read(n).decode("utf-8") for n in sorted(z.namelist()) if PARTS.match(n))


def undeclared_variables(docx: bytes) -> set[str]:
    from docxtpl import DocxTemplate
    return set(DocxTemplate(io.BytesIO(docx)).get_undeclared_template_variables(jinja_env()))


def layout_problems(docx: bytes) -> list[str]:
    """Each setting of a section laid out on the 公文 grid (a docGrid of type lines or
    linesAndChars) that is not GB/T 9704's (LAYOUT), named with its value and the one needed.
    A section without that grid is not a 公文 page and is not checked."""
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    out = []
    sections = list(root.iter(f"{W}sectPr"))
    for n, sect in enumerate(sections, 1):
        grid = sect.find(f"{W}docGrid")
        if grid is None or grid.get(f"{W}type") not in GRID_TYPES:
            continue
        where = "word/document.xml: " + (f"section {n}: " if len(sections) > 1 else "")
        for element, attr, want, meaning in LAYOUT:
            el = sect.find(f"{W}{element}")
            got = None if el is None else el.get(f"{W}{attr}")
            if got is None or not got.lstrip("-").isdigit() or int(got) != want:
                out.append(f"{where}{element} {attr} is {got if got is not None else 'missing'}"
                           f", GB/T 9704 needs {want} ({meaning})")
    return out


def split_tags(docx: bytes) -> list[str]:
    """Tags whose characters sit in runs of different formatting: docxtpl joins them, but the
    output takes one run's formatting and the maintainer sees something else in Word."""
    out = []
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        for name in sorted(n for n in z.namelist() if PARTS.match(n)):
            root = etree.fromstring(z.read(name))
            for para in root.iter(f"{W}p"):
                out += [f"{name}: {p}" for p in _paragraph(para)]
    return out


def _paragraph(para: etree._Element) -> list[str]:
    pieces = []  # (text, formatting of its run)
    for run in para.iter(f"{W}r"):
        text = "".join(t.text or "" for t in run.iter(f"{W}t"))
        if not text:
            continue
        rpr = run.find(f"{W}rPr")
        fmt = b"" if rpr is None else etree.tostring(_without_noise(rpr), method="c14n")
        pieces.append((text, fmt))
    joined = "".join(text for text, _ in pieces)
    owner = [i for i, (text, _) in enumerate(pieces) for _ in text]
    problems = []
    for match in TAG.finditer(joined):
        runs = sorted(set(owner[match.start():match.end()]))
        if len({pieces[i][1] for i in runs}) > 1:
            problems.append(f"tag {match.group()!r} is split across {len(runs)} runs with "
                            "different formatting; retype it in one go with one format")
    rest = TAG.sub("", joined)
    unclosed = OPEN.search(rest)
    if unclosed:
        problems.append(f"a tag opens but does not close within the paragraph: "
                        f"{rest[unclosed.start():][:40]!r}")
    return problems


def _without_noise(rpr: etree._Element) -> etree._Element:
    """Run properties minus what does not show (spell-check language, noProof, font hints)."""
    copy = etree.fromstring(etree.tostring(rpr))
    for el in copy.findall(f"{W}lang") + copy.findall(f"{W}noProof"):
        copy.remove(el)
    for el in copy.findall(f"{W}rFonts"):
        el.attrib.pop(f"{W}hint", None)
    return copy
