"""The scan of what the public attaches to a request for correction, on crafted bytes: the type
is sniffed from the content, the name's extension must agree; PDFs carrying anything that acts
when opened (plain, #xx-escaped, or inside a compressed stream) are refused, images whose
structure is broken, whose data does not decode to the size the header announces
(decompression bombs) or that are too large, executables, archives, markup — each with its rule
and the field named."""
from __future__ import annotations

import struct
import zlib

import pytest

from services.disclosure.domain import attachments as scan
from shared.errors import ValidationFailed

PDF = (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def pdf_with(body: bytes) -> bytes:
    return PDF.replace(b"trailer", body + b"\ntrailer")


def png(width: int = 2, height: int = 2, raw: bytes | None = None, tail: bytes = b"",
        crc_ok: bool = True) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) ^ (0 if crc_ok or kind != b"IDAT" else 1)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = raw if raw is not None else b"".join(b"\0" + b"\x80" * 3 * width
                                                for _ in range(height))
    return (scan.PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(data))
            + chunk(b"IEND", b"") + tail)


def jpeg(width: int = 16, height: int = 16, end: bool = True) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + sof + sos + b"\x12\x34\x56" + (b"\xff\xd9" if end else b"")


def rule(content: bytes, name: str) -> str:
    with pytest.raises(ValidationFailed) as err:
        scan.scan(content, name, "attachments")
    assert err.value.details["field"] == "attachments"
    assert err.value.message_zh.startswith("attachments：")
    return err.value.details["rule"]


@pytest.mark.parametrize("content,name,kind", [
    (PDF, "送达回证.pdf", "pdf"),
    (pdf_with(b"3 0 obj\n<< /OpenAction [2 0 R /Fit] >>\nendobj"), "a.PDF", "pdf"),
    (png(), "照片.png", "png"), (jpeg(), "照片.JPG", "jpeg"), (jpeg(), "x.jpeg", "jpeg"),
    ("罚款金额应为陆千元。\r\n".encode(), "说明.txt", "text"),
    ("罚款金额应为陆千元。".encode("gb18030"), "说明.txt", "text"),
])
def test_clean_files_pass_with_the_type_sniffed(content, name, kind):
    found = scan.scan(content, name, "attachments")
    assert (found.kind, found.media_type, found.size) == (kind, scan.KINDS[kind][0],
                                                          len(content))


@pytest.mark.parametrize("body", [
    b"<< /S /JavaScript /JS (app.alert(1)) >>",
    b"<< /OpenAction << /S /JavaScript /JS (this.print()) >> >>",
    b"<< /J#53 (app.alert(1)) >>",                    # /JS written with a #xx escape
    b"<< /Type /Action /S /Launch /F (cmd.exe) >>",
    b"<< /Type /EmbeddedFile /Length 3 >>",
    b"<< /Names << /EmbeddedFiles 4 0 R >> >>",
    b"<< /Type /Annot /Subtype /RichMedia >>",
    b"<< /AcroForm << /XFA 5 0 R >> >>",
    b"<< /S /SubmitForm /F (http://x) >>",
    b"<< /Encrypt 6 0 R >>",
])
def test_a_pdf_that_can_act_is_refused(body):
    assert rule(pdf_with(b"3 0 obj\n" + body + b"\nendobj"), "a.pdf") == "pdf_active_content"


def test_javascript_hidden_in_a_compressed_object_stream_is_found():
    hidden = zlib.compress(b"<< /S /JavaScript /JS (app.launchURL('x')) >>")
    body = (b"3 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n"
            % len(hidden) + hidden + b"\nendstream\nendobj")
    assert rule(pdf_with(body), "a.pdf") == "pdf_active_content"


def test_a_pdf_whose_streams_inflate_past_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(scan, "MAX_INFLATED", 1000)
    bomb = zlib.compress(b"\0" * 100_000)
    body = b"3 0 obj\n<< /Length 1 >>\nstream\n" + bomb + b"\nendstream\nendobj"
    assert rule(pdf_with(body), "a.pdf") == "pdf_malformed"


def test_a_truncated_pdf_is_refused():
    assert rule(PDF[:-7], "a.pdf") == "pdf_malformed"


@pytest.mark.parametrize("content,expected", [
    (png(width=100_000, height=100_000, raw=b"\0"), "image_too_large"),
    (png(width=10, height=10, raw=b"\0" * 10_000_000), "image_malformed"),   # a bomb
    (png(width=10, height=10, raw=b"\0" * 10), "image_malformed"),           # too little
    (png(crc_ok=False), "image_malformed"),
    (png(tail=b"PK\x03\x04 a zip after the image"), "image_malformed"),
    (png()[:40], "image_malformed"),
    (jpeg(width=30_000, height=30_000), "image_too_large"),
    (jpeg(end=False), "image_malformed"),
    (b"\xff\xd8\xff\xe0\x00\x04\x00\x00\x12\x34", "image_malformed"),         # no frame
])
def test_broken_oversized_and_bomb_images_are_refused(content, expected):
    name = "a.png" if content.startswith(scan.PNG_SIGNATURE) else "a.jpg"
    assert rule(content, name) == expected


@pytest.mark.parametrize("content,name", [
    (b"MZ\x90\x00\x03" + b"\0" * 60, "证据.pdf"), (b"\x7fELF\x02\x01\x01", "a.txt"),
    (b"PK\x03\x04\x14\x00", "a.ofd"), (b"PK\x03\x04\x14\x00", "a.docx"),
    (b"\x1f\x8b\x08\x00", "a.txt"), (b"Rar!\x1a\x07\x00", "a.pdf"),
    (b"7z\xbc\xaf\x27\x1c\x00\x04", "a.pdf"), (b"GIF89a\x01\x00", "a.gif"),
    (b"#!/bin/sh\nrm -rf /\n", "a.txt"), (b"\xd0\xcf\x11\xe0\xa1\xb1", "a.doc"),
    (b"<!DOCTYPE html><html><script>alert(1)</script>", "a.txt"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "a.png"),
    (b'<?xml version="1.0"?><svg/>', "a.txt"),
    (b"  <html><body>x</body></html>", "a.txt"),
])
def test_executables_archives_and_markup_are_refused(content, name):
    assert rule(content, name) == "refused_type"


def test_content_of_no_allowed_type_is_refused():
    assert rule(b"\x00\x01\x02\x03binary", "a.txt") == "unknown_type"
    assert rule(b"", "a.txt") == "empty"


@pytest.mark.parametrize("content,name", [
    (PDF, "送达回证.jpg"), (png(), "a.pdf"), (jpeg(), "a.png"),
    (b"plain words", "a.exe"), (b"plain words", "a.html"), (PDF, "a.pdf.exe"),
    (PDF, "no-extension"),
])
def test_a_name_that_disagrees_with_the_content_is_refused(content, name):
    assert rule(content, name) == "type_mismatch"


def test_text_carrying_markup_is_refused():
    assert rule(b"see <script src=//x></script>", "a.txt") == "text_markup"


def test_the_name_kept_is_its_last_part_without_control_characters():
    assert scan.clean_name("C:\\Users\\张\\送达\x00回证.pdf") == "送达回证.pdf"
    assert scan.clean_name("../../etc/passwd.txt") == "passwd.txt"
    long = scan.clean_name("长" * 300 + ".pdf")
    assert len(long) == 120 and long.endswith(".pdf")
