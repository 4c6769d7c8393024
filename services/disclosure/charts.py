"""The annual report's bar charts, drawn as PNG with Pillow in a CJK font of Debian's
fonts-noto-cjk (Noto Sans CJK SC: the labels are Chinese), each with its text alternative — the
same counts in words — for the document and the portal. The same bars give the same bytes."""
from __future__ import annotations

import base64
import io
import subprocess
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from shared.errors import ConfigurationError

# the font asked of fontconfig, and where Debian's fonts-noto-cjk puts it when fc-match is absent
FONT_FAMILY = "Noto Sans CJK SC"
FONT_FALLBACK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC_INDEX = 2          # the face of the .ttc collection that is Simplified Chinese (SC)
WIDTH, BAR_H, GAP, LABEL_W, TOP = 1200, 44, 16, 420, 70
MAX_BARS = 12


@lru_cache(maxsize=1)
def font_path() -> str:
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", FONT_FAMILY], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    path = found if "CJK" in found else FONT_FALLBACK
    try:
        ImageFont.truetype(path, 20, index=SC_INDEX)
    except OSError as exc:
        raise ConfigurationError(
            f"no CJK font for the annual report's charts ({FONT_FAMILY}: install Debian's "
            f"fonts-noto-cjk): {exc}", message_zh="缺少统计图所需的中文字体（fonts-noto-cjk）") \
            from None
    return path


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size, index=SC_INDEX)


def bar_chart(title: str, bars: Sequence[tuple[str, int]]) -> bytes:
    """A horizontal bar chart of `bars` (label, count), the largest MAX_BARS, as PNG bytes."""
    bars = list(bars)[:MAX_BARS]
    height = TOP + len(bars) * (BAR_H + GAP) + GAP
    img = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(img)
    draw.text((20, 16), title, fill="black", font=_font(32))
    label_font, count_font = _font(24), _font(24)
    top = max([n for _, n in bars] + [1])
    span = WIDTH - LABEL_W - 120
    for i, (label, n) in enumerate(bars):
        y = TOP + i * (BAR_H + GAP)
        text = label if len(label) <= 16 else label[:15] + "…"
        draw.text((20, y + 8), text, fill="black", font=label_font)
        length = round(span * n / top)
        draw.rectangle((LABEL_W, y, LABEL_W + max(length, 1), y + BAR_H), fill="#8b0000")
        draw.text((LABEL_W + length + 10, y + 8), str(n), fill="black", font=count_font)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def alt_text(title: str, bars: Sequence[tuple[str, int]]) -> str:
    """The chart in words: its title and each bar's label and count."""
    text = f"{title}：" + "；".join(f"{label}{n}" for label, n in list(bars)[:MAX_BARS])
    return text if len(text) <= 300 else text[:299] + "…"


def chart_image(title: str, bars: Sequence[tuple[str, int]]) -> dict:
    """The chart as the renderer's image field takes it: PNG base64 and its alt text."""
    return {"png_base64": base64.b64encode(bar_chart(title, bars)).decode("ascii"),
            "alt": alt_text(title, bars)}
