"""What a member of the public may attach to a request to correct a publication, judged from the
bytes alone before anything is kept: the real type sniffed from the content (never the name or
the type the browser claims), held to an allow-list, its name's extension agreeing with it, and
each kind checked for what could act when opened.

Allowed: PDF (no JavaScript, launch or submit actions, embedded files, rich media, XFA forms and
no encryption — an encrypted file cannot be checked; compressed streams are inflated, within a
bound, and checked too; names written with #xx escapes are read as decoded), JPEG and PNG (the
structure walked, the dimensions within MAX_PIXELS, a PNG's image data inflated to exactly the
size its header announces — a decompression bomb is refused before it is inflated past that —
and every chunk's CRC holding; nothing after the image's end) and plain text (UTF-8 or GB18030
without control characters, not markup or a script). OFD is refused: it is a ZIP container,
and an archive is not opened here. Executables, archives, HTML, SVG and XML are refused by name.

This is a structural check that needs no image library: the bytes are walked, never rendered."""
from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from shared.errors import ValidationFailed

# kind → (media type, the extensions its name may end with, how it is called in Chinese)
KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "pdf": ("application/pdf", (".pdf",), "PDF 文件"),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg"), "JPEG 图片"),
    "png": ("image/png", (".png",), "PNG 图片"),
    "text": ("text/plain", (".txt",), "纯文本"),
}
MAX_PIXELS = 40_000_000          # width × height of an image
MAX_SIDE = 20_000                # either side of an image
MAX_INFLATED = 32 * 1024 * 1024  # what the PDF checks inflate, all streams together

# content that is refused by what it is: (prefix, offset, what)
REFUSED_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"MZ", 0, "a Windows executable"), (b"\x7fELF", 0, "an ELF executable"),
    (b"\xca\xfe\xba\xbe", 0, "a Mach-O or Java class file"),
    (b"\xcf\xfa\xed\xfe", 0, "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", 0, "a Mach-O executable"),
    (b"#!", 0, "a script"), (b"PK\x03\x04", 0, "a ZIP archive (also OFD, docx, xlsx)"),
    (b"PK\x05\x06", 0, "a ZIP archive"), (b"Rar!", 0, "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7z archive"), (b"\x1f\x8b", 0, "a gzip archive"),
    (b"BZh", 0, "a bzip2 archive"), (b"\xfd7zXZ\x00", 0, "an xz archive"),
    (b"ustar", 257, "a tar archive"), (b"\xd0\xcf\x11\xe0", 0, "an OLE file (doc, xls, msi)"),
    (b"GIF8", 0, "a GIF image (not accepted)"), (b"{\\rtf", 0, "an RTF document"),
)
MARKUP = re.compile(rb"^\s*<(?:!doctype|html|svg|\?xml|script|head|body|iframe|object|!--)",
                    re.IGNORECASE)
# PDF names that make the file act when opened, or carry something that is not the document
ACTIVE_NAMES = {"JavaScript": "JavaScript", "JS": "JavaScript", "Launch": "a launch action",
                "EmbeddedFile": "an embedded file", "EmbeddedFiles": "embedded files",
                "RichMedia": "rich media (Flash, video)", "XFA": "an XFA form",
                "SubmitForm": "a form submit action", "ImportData": "an import action",
                "Encrypt": "encryption (its content cannot be checked)"}
NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
STREAM = re.compile(rb"stream\r?\n")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type → samples per pixel
PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True)
class Scanned:
    """An attachment that passed: its kind, media type, name and size."""
    kind: str
    media_type: str
    name: str
    size: int


def refuse(field: str, rule: str, message: str, message_zh: str) -> ValidationFailed:
    """The refusal of one attachment, naming the field and the rule."""
    return ValidationFailed(f"{field}: {message}", message_zh=f"{field}：{message_zh}",
                            details={field: [message], "field": field, "rule": rule})


def clean_name(name: str) -> str:
    """The last part of the name the browser sent, without control characters, at most 120
    characters (its extension kept)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else base[:120]
    return base


def sniff(content: bytes) -> str | None:
    """The allowed kind the bytes are, or None."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(PNG_SIGNATURE):
        return "png"
    return "text" if _text(content) is not None else None


def scan(content: bytes, name: str, field: str) -> Scanned:
    """The attachment judged (module docstring): a Scanned, or ValidationFailed naming `field`
    and the rule — empty, refused_type, unknown_type, type_mismatch, pdf_active_content,
    pdf_malformed, image_malformed, image_too_large, text_markup."""
    if not content:
        raise refuse(field, "empty", "the file is empty", "文件为空")
    for prefix, offset, what in REFUSED_SIGNATURES:
        if content[offset:offset + len(prefix)] == prefix:
            raise refuse(field, "refused_type", f"the file is {what}: only PDF, JPEG, PNG and "
                         "plain text are accepted", "只接受 PDF、JPEG、PNG 和纯文本文件，"
                         "不接受可执行文件、压缩包或其他类型")
    if MARKUP.match(content[:512]):
        raise refuse(field, "refused_type", "the file is HTML, SVG or XML markup: only PDF, "
                     "JPEG, PNG and plain text are accepted",
                     "不接受 HTML、SVG 或 XML 文件（只接受 PDF、JPEG、PNG 和纯文本）")
    kind = sniff(content)
    if kind is None:
        raise refuse(field, "unknown_type", "the content is none of PDF, JPEG, PNG or plain "
                     "text", "文件内容不是 PDF、JPEG、PNG 或纯文本")
    media_type, extensions, zh = KINDS[kind]
    shown = clean_name(name) or f"attachment{extensions[0]}"
    if not shown.lower().endswith(extensions):
        raise refuse(field, "type_mismatch", f"the content is {media_type} but the name "
                     f"{shown!r} does not end with {' or '.join(extensions)}",
                     f"文件内容为{zh}，但文件名扩展名与之不符（应为 {'、'.join(extensions)}）")
    CHECKS[kind](content, field)
    return Scanned(kind, media_type, shown, len(content))


# ---- PDF ----------------------------------------------------------------------------------------

def _names(data: bytes) -> set[str]:
    out = set()
    for raw in NAME.findall(data):
        decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        out.add(decoded.decode("latin-1"))
    return out


def _inflated(content: bytes, field: str) -> list[bytes]:
    """Every stream that inflates, inflated; all of them together within MAX_INFLATED."""
    out, budget = [], MAX_INFLATED
    for match in STREAM.finditer(content):
        start = match.end()
        end = content.find(b"endstream", start)
        if end < 0:
            break
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(content[start:end], budget + 1)
        except zlib.error:
            continue   # not a Flate stream (an image, a font): its names are not read
        budget -= len(data)
        if budget < 0:
            raise refuse(field, "pdf_malformed", "the PDF's streams inflate past "
                         f"{MAX_INFLATED} bytes", "PDF 文件解压后过大")
        out.append(data)
    return out


def check_pdf(content: bytes, field: str) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise refuse(field, "pdf_malformed", "the PDF has no end-of-file marker (%%EOF): it "
                     "is truncated or not a PDF", "PDF 文件不完整（缺少 %%EOF 结束标记）")
    found = _names(content)
    for data in _inflated(content, field):
        found |= _names(data)
    active = sorted({ACTIVE_NAMES[n] for n in found if n in ACTIVE_NAMES})
    if active:
        raise refuse(field, "pdf_active_content", f"the PDF carries {', '.join(active)}: a "
                     "file that can act when opened is not accepted",
                     "PDF 文件含有脚本、启动动作、嵌入文件、多媒体、XFA 表单或加密等活动内容，"
                     "不予接收")


# ---- images -------------------------------------------------------------------------------------

def _dimensions(width: int, height: int, field: str) -> None:
    if width < 1 or height < 1:
        raise refuse(field, "image_malformed", "the image has no pixels", "图片尺寸无效")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise refuse(field, "image_too_large", f"the image is {width}×{height} pixels: at most "
                     f"{MAX_SIDE} a side and {MAX_PIXELS} pixels",
                     f"图片为 {width}×{height} 像素，超过上限（每边 {MAX_SIDE}，"
                     f"共 {MAX_PIXELS} 像素）")


def _png_chunks(content: bytes, field: str) -> list[tuple[bytes, bytes]]:
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(content):
        if at + 12 > len(content):
            raise refuse(field, "image_malformed", "the PNG is truncated", "PNG 图片不完整")
        (length,) = struct.unpack(">I", content[at:at + 4])
        kind, data = content[at + 4:at + 8], content[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", content[at + 8 + length:at + 12 + length] or b"\0\0\0\0")
        if len(data) != length or zlib.crc32(kind + data) != crc:
            raise refuse(field, "image_malformed", f"the PNG chunk {kind!r} is damaged",
                         "PNG 图片数据损坏（校验不符）")
        chunks.append((kind, data))
        at += 12 + length
        if kind == b"IEND":
            break
    if not chunks or chunks[-1][0] != b"IEND" or content[at:].strip(b"\0"):
        raise refuse(field, "image_malformed", "the PNG does not end with its IEND chunk",
                     "PNG 图片结构不完整或结尾附带其他数据")
    return chunks


def check_png(content: bytes, field: str) -> None:
    chunks = _png_chunks(content, field)
    if chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise refuse(field, "image_malformed", "the PNG does not begin with its header",
                     "PNG 图片缺少文件头")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    _dimensions(width, height, field)
    if colour not in PNG_SAMPLES or interlace not in (0, 1):
        raise refuse(field, "image_malformed", "the PNG header is invalid", "PNG 文件头无效")
    row = (width * PNG_SAMPLES[colour] * depth + 7) // 8 + 1
    expected = row * height   # the raw size without interlacing (interlaced: at most a bit more)
    bound = expected + (height + width) * 8 if interlace else expected
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(d for k, d in chunks if k == b"IDAT"), bound + 1)
    except zlib.error:
        raise refuse(field, "image_malformed", "the PNG's image data does not decode",
                     "PNG 图片数据无法解码") from None
    if len(raw) > bound or (not interlace and len(raw) != expected):
        raise refuse(field, "image_malformed", f"the PNG's image data inflates to {len(raw)}"
                     f"{'+' if len(raw) > bound else ''} bytes, not the {expected} its header "
                     "announces", "PNG 图片数据与文件头声明的尺寸不符")


def check_jpeg(content: bytes, field: str) -> None:
    at, size = 2, None
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            raise refuse(field, "image_malformed", "the JPEG's structure is broken",
                         "JPEG 图片结构损坏")
        marker = content[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        (length,) = struct.unpack(">H", content[at + 2:at + 4])
        if marker in JPEG_SOF and at + 9 <= len(content):
            height, width = struct.unpack(">HH", content[at + 5:at + 9])
            size = (width, height)
        if marker == 0xDA:   # start of scan: the image data follows
            break
        at += 2 + length
    if size is None:
        raise refuse(field, "image_malformed", "the JPEG has no frame header",
                     "JPEG 图片缺少帧头")
    _dimensions(size[0], size[1], field)
    if not content.rstrip(b"\0").endswith(b"\xff\xd9"):
        raise refuse(field, "image_malformed", "the JPEG does not end with its end-of-image "
                     "marker", "JPEG 图片不完整或结尾附带其他数据")


# ---- text ---------------------------------------------------------------------------------------

def _text(content: bytes) -> str | None:
    for encoding in ("utf-8", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if all(c.isprintable() or c in "\t\r\n\f" for c in text.lstrip("\ufeff")):
            return text
        return None
    return None


def check_text(content: bytes, field: str) -> None:
    text = _text(content) or ""
    if re.search(r"<\s*(script|html|svg|iframe|object|embed)\b", text, re.IGNORECASE):
        raise refuse(field, "text_markup", "the text carries HTML or SVG markup",
                     "文本文件含有 HTML 或 SVG 标记，不予接收")


CHECKS = {"pdf": check_pdf, "png": check_png, "jpeg": check_jpeg, "text": check_text}
