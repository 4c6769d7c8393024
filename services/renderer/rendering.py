"""One render, start to finish, on bytes: docxtpl with autoescape and StrictUndefined, the
stamp in the core properties, and a zip written deterministically (fixed timestamps and order),
so the same template version and the same data give the same bytes. CPU-bound: callers run it
off the eventlet hub (see dependencies.RenderPool)."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from services.renderer.domain import Stamp
from services.renderer.fields import IMAGE_MARK
from services.renderer.filters import FILTERS

K = TypeVar("K")
V = TypeVar("V")

# A document's properties say what it was made from, never when: the time of a render is not
# part of its content, and a re-render years later must give the same bytes.
FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def jinja_env(undefined: type[jinja2.Undefined] = jinja2.StrictUndefined) -> jinja2.Environment:
    # autoescape: "A & B <C>" must reach the XML as &amp; and &lt;, not break it
    env = jinja2.Environment(autoescape=True, undefined=undefined)
    env.filters.update(FILTERS)
    return env


class _Lru(Generic[K, V]):
    """A small least-recently-used map (a worker renders few templates, each many times)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._d.get(key)
        if value is not None:
            self._d.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)


class CompilingEnvironment(jinja2.Environment):
    """jinja_env() that keeps what it compiled, by source text. docxtpl hands from_string the
    template's own (patched) XML on every render — the data only enters at render() — so a
    worker rendering the same template version again reuses the compiled template instead of
    lexing, parsing and compiling ≈ 200 KB of XML each time (a third of a render). Same
    source, same environment → the same compiled code → the same output."""

    def __init__(self, *args: Any, cache_size: int = 64, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compiled: _Lru[str, jinja2.Template] = _Lru(cache_size)

    def from_string(self, source: Any, globals: Any = None,
                    template_class: Any = None) -> jinja2.Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            self._compiled.put(source, compiled)
        return compiled


class _Template(DocxTemplate):
    """DocxTemplate whose patch_xml (a pure function of the template's XML: regular expressions
    that mend split jinja tags) is remembered per XML text, like the compiled templates."""

    _patched: _Lru[str, str] = _Lru(64)

    def patch_xml(self, src_xml: str) -> str:
        patched = self._patched.get(src_xml)
        if patched is None:
            patched = super().patch_xml(src_xml)
            self._patched.put(src_xml, patched)
        return patched


_env: CompilingEnvironment | None = None


def _worker_env() -> CompilingEnvironment:
    """One environment per process (configured exactly as jinja_env()), so its compiled
    templates outlive a render."""
    global _env
    if _env is None:
        _env = CompilingEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
        _env.filters.update(FILTERS)
    return _env


class _AltImage(InlineImage):
    """An inline PNG whose drawing carries its text alternative (wp:docPr descr), as a screen
    reader and the PDF's alt text read it."""

    def __init__(self, tpl: DocxTemplate, png: bytes, width_mm: int, alt: str) -> None:
        super().__init__(tpl, io.BytesIO(png), width=Mm(width_mm))
        self.alt = alt

    def _insert_image(self) -> str:
        inline = self.tpl.current_rendering_part.new_pic_inline(
            self.image_descriptor, self.width, self.height)
        inline.docPr.set("descr", self.alt)
        inline.docPr.set("title", self.alt)
        pic = inline.xml
        return (f"</w:t></w:r><w:r><w:drawing>{pic}</w:drawing></w:r><w:r>"
                '<w:t xml:space="preserve">')


def _with_images(tpl: DocxTemplate, value: Any) -> Any:
    """`value` with every image the field schema validated (IMAGE_MARK) as an inline image."""
    if isinstance(value, dict):
        if value.get(IMAGE_MARK) == "png":
            return _AltImage(tpl, base64.b64decode(value["png_base64"]), value["width_mm"],
                             value["alt"])
        out = copy.copy(value)  # of its own type: lint's tracking mapping keeps tracking
        for k, v in value.items():
            out[k] = _with_images(tpl, v)
        return out
    if isinstance(value, list):
        return [_with_images(tpl, v) for v in value]
    return value


def _has_images(value: Any) -> bool:
    if isinstance(value, Mapping):
        return value.get(IMAGE_MARK) == "png" or any(_has_images(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_images(v) for v in value)
    return False


def render_docx(template: bytes, data: dict[str, Any], stamp: Stamp) -> bytes:
    tpl = _Template(io.BytesIO(template))
    if _has_images(data):
        data = _with_images(tpl, data)
    tpl.render(data, jinja_env=_worker_env(), autoescape=True)
    props = tpl.docx.core_properties
    props.identifier = stamp.identifier
    props.keywords = stamp.keywords
    props.version = str(stamp.version)
    props.category = stamp.template_id
    props.title = stamp.title
    props.created = props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    out = io.BytesIO()
    tpl.save(out)
    return deterministic_zip(out.getvalue())


LOCAL_SIG, CENTRAL_SIG = b"PK\x03\x04", b"PK\x01\x02"


def dos_time(when: tuple[int, int, int, int, int, int]) -> bytes:
    """A zip entry's time and date fields for (year, month, day, hour, minute, second)."""
    year, month, day, hour, minute, second = when
    return struct.pack("<HH", hour << 11 | minute << 5 | second // 2,
                       (year - 1980) << 9 | month << 5 | day)


DOS_EPOCH = dos_time((1980, 1, 1, 0, 0, 0))


def deterministic_zip(blob: bytes, when: bytes = DOS_EPOCH) -> bytes:
    """The same zip with every entry's time set to `when` (1980-01-01 00:00 unless given:
    python-docx stamps the wall clock; nothing else in its output varies). The DOS time and
    date fields are patched in place in the local and central headers — no recompression —
    after zipfile has parsed the archive, so the offsets are the ones it found."""
    out = bytearray(blob)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        infos = z.infolist()
        central = z.start_dir
    for info in infos:
        _clear_time(out, info.header_offset, LOCAL_SIG, 10, when)
    offset = central
    for _ in infos:
        _clear_time(out, offset, CENTRAL_SIG, 12, when)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, offset + 28)
        offset += 46 + name_len + extra_len + comment_len
    return bytes(out)


def _clear_time(buf: bytearray, offset: int, signature: bytes, at: int, when: bytes) -> None:
    if buf[offset:offset + 4] != signature:
        raise ValueError(f"not a zip header at {offset}")
    buf[offset + at:offset + at + 4] = when


def core_properties(blob: bytes) -> dict[str, Any]:
    """The stamp as read back from a rendered docx (for callers and tests)."""
    from docx import Document
    props = Document(io.BytesIO(blob)).core_properties
    return {"identifier": props.identifier, "keywords": props.keywords, "version": props.version,
            "category": props.category, "title": props.title, "created": props.created,
            "modified": props.modified}
