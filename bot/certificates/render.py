"""The certificate's design, drawn twice from one layout: a PDF (A4 landscape, fpdf2, the
fonts embedded as subsets) and a PNG (Pillow) for chats that show pictures.

The layout is a list of drawing steps in millimetres on the A4 page; each backend only
translates them, so the two files cannot drift apart. Vietnamese diacritics come from the
DejaVu fonts shipped in fonts/ (Bitstream Vera licence: redistribution allowed, see
fonts/LICENSE). The QR code (segno) is drawn as filled squares: vector in the PDF, sharp
in the PNG.
"""

import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).parent / "fonts"
FONT_FILES = {
    "sans": FONTS / "DejaVuSans.ttf",
    "sans-bold": FONTS / "DejaVuSans-Bold.ttf",
    "serif-bold": FONTS / "DejaVuSerif-Bold.ttf",
}
PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
PNG_DPI = 150  # 1754 x 1240 px: sharp on a phone, well under chat photo limits
MM_PER_PT = 25.4 / 72
GREEN, GOLD, DARK, GREY = (31, 111, 67), (201, 162, 39), (33, 33, 33), (110, 110, 110)
NAME_MAX_PT, NAME_MIN_PT, NAME_WIDTH_MM = 34.0, 16.0, 230.0


@dataclass(frozen=True)
class View:
    """What a certificate shows; everything already in Vietnamese."""

    name: str
    track_label: str
    score: int
    total: int
    number: str
    code: str  # the verify code, shown grouped (XXXX-XXXX-...)
    issued_on: date
    verify_url: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    font: str
    pt: float
    color: tuple[int, int, int] = DARK
    align: str = "C"  # L | C | R (around x)


@dataclass(frozen=True)
class Frame:
    x: float
    y: float
    w: float
    h: float
    width: float
    color: tuple[int, int, int]


@dataclass(frozen=True)
class Qr:
    x: float
    y: float
    size: float
    data: str


@lru_cache(maxsize=1)
def printable() -> frozenset[str]:
    """The characters every certificate font has (a name with others would print boxes)."""
    from fontTools.ttLib import TTFont

    maps = [set(TTFont(str(path)).getBestCmap()) for path in FONT_FILES.values()]
    return frozenset(chr(c) for c in set.intersection(*maps))


@lru_cache(maxsize=64)
def _pil_font(font: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES[font]), px)


def text_width_mm(text: str, font: str, pt: float) -> float:
    """The width a text takes in `font` at `pt` (the same TTF as both backends use)."""
    return _pil_font(font, 1000).getlength(text) / 1000 * pt * MM_PER_PT


def fit_pt(text: str, font: str, width: float, largest: float, smallest: float) -> float:
    at_largest = text_width_mm(text, font, largest)
    return max(smallest, min(largest, largest * width / at_largest)) if at_largest else largest


def grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def layout(v: View) -> list:
    mid = PAGE_W / 2
    pct = round(v.score * 100 / v.total) if v.total else 0
    d = v.issued_on
    name_pt = fit_pt(v.name, "serif-bold", NAME_WIDTH_MM, NAME_MAX_PT, NAME_MIN_PT)
    qr_x, qr_y, qr_size = 236.0, 140.0, 38.0
    return [
        Frame(8, 8, PAGE_W - 16, PAGE_H - 16, 1.6, GREEN),
        Frame(12.5, 12.5, PAGE_W - 25, PAGE_H - 25, 0.5, GOLD),
        Text(mid, 32, "CHƯƠNG TRÌNH «BÌNH DÂN HỌC AI» · TỈNH THÁI NGUYÊN", "sans-bold", 13, GREEN),
        Text(mid, 56, "GIẤY CHỨNG NHẬN", "serif-bold", 38, GREEN),
        Text(mid, 68, "HOÀN THÀNH LỘ TRÌNH HỌC AI CƠ BẢN", "sans-bold", 13, GOLD),
        Text(mid, 88, "Chứng nhận", "sans", 14),
        Text(mid, 106, v.name, "serif-bold", name_pt),
        Text(mid, 122, f"đã học xong lộ trình dành cho {v.track_label.lower()}", "sans", 14),
        Text(
            mid,
            132,
            f"và đạt bài kiểm tra cuối khóa: {v.score}/{v.total} câu đúng ({pct}%).",
            "sans",
            14,
        ),
        Text(30, 158, f"Số: {v.number}", "sans-bold", 11, align="L"),
        Text(30, 166, f"Ngày cấp: {d:%d/%m/%Y}", "sans", 11, align="L"),
        Text(30, 174, f"Mã kiểm tra: {grouped(v.code)}", "sans", 11, align="L"),
        Text(
            mid + 10,
            166,
            f"Thái Nguyên, ngày {d:%d} tháng {d:%m} năm {d:%Y}",
            "sans",
            12,
        ),
        Qr(qr_x, qr_y, qr_size, v.verify_url),
        Text(qr_x + qr_size / 2, qr_y + qr_size + 4.5, "Quét mã để kiểm tra", "sans", 9, GREY),
        Text(
            mid,
            194,
            "Giấy chứng nhận do trợ lý học tập của chương trình cấp tự động. "
            f"Kiểm tra tại: {v.verify_url}",
            "sans",
            7.5,
            GREY,
        ),
    ]


def _qr_runs(data: str) -> tuple[list[tuple[int, int, int]], int]:
    """(row, first column, length) of each horizontal run of dark modules, and the
    matrix size: far fewer squares to draw than one per module."""
    matrix = segno.make(data, error="m", micro=False).matrix
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return runs, len(matrix)


QUIET_MODULES = 2  # white border around the code inside its square (plus the page)


def render_pdf(v: View) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"Giấy chứng nhận {v.number}")
    pdf.set_author("Bình dân học AI Thái Nguyên")
    pdf.set_creator("hocai")
    pdf.add_page()
    for key, path in FONT_FILES.items():
        family, _, bold = key.partition("-")
        pdf.add_font(family, "B" if bold else "", str(path))
    for step in layout(v):
        if isinstance(step, Frame):
            pdf.set_draw_color(*step.color)
            pdf.set_line_width(step.width)
            pdf.rect(step.x, step.y, step.w, step.h)
        elif isinstance(step, Text):
            family, _, bold = step.font.partition("-")
            pdf.set_font(family, "B" if bold else "", step.pt)
            pdf.set_text_color(*step.color)
            width = pdf.get_string_width(step.text)
            x = {"L": step.x, "C": step.x - width / 2, "R": step.x - width}[step.align]
            pdf.text(x, step.y, step.text)
        else:
            runs, n = _qr_runs(step.data)
            m = step.size / (n + 2 * QUIET_MODULES)
            x0, y0 = step.x + QUIET_MODULES * m, step.y + QUIET_MODULES * m
            pdf.set_fill_color(0, 0, 0)
            for r, c, length in runs:
                pdf.rect(x0 + c * m, y0 + r * m, length * m, m, style="F")
    return bytes(pdf.output())


def render_png(v: View, dpi: int = PNG_DPI) -> bytes:
    scale = dpi / 25.4  # px per mm

    def px(mm: float) -> int:
        return round(mm * scale)

    img = Image.new("RGB", (px(PAGE_W), px(PAGE_H)), "white")
    draw = ImageDraw.Draw(img)
    for step in layout(v):
        if isinstance(step, Frame):
            half = step.width / 2  # the PDF strokes on the path; Pillow draws inward
            draw.rectangle(
                (
                    px(step.x - half),
                    px(step.y - half),
                    px(step.x + step.w + half),
                    px(step.y + step.h + half),
                ),
                outline=step.color,
                width=max(1, px(step.width)),
            )
        elif isinstance(step, Text):
            font = _pil_font(step.font, max(1, round(step.pt * dpi / 72)))
            anchor = {"L": "ls", "C": "ms", "R": "rs"}[step.align]
            draw.text(
                (px(step.x), px(step.y)), step.text, font=font, fill=step.color, anchor=anchor
            )
        else:
            runs, n = _qr_runs(step.data)
            m = step.size / (n + 2 * QUIET_MODULES)
            x0, y0 = step.x + QUIET_MODULES * m, step.y + QUIET_MODULES * m
            for r, c, length in runs:
                draw.rectangle(
                    (
                        px(x0 + c * m),
                        px(y0 + r * m),
                        px(x0 + (c + length) * m) - 1,
                        px(y0 + (r + 1) * m) - 1,
                    ),
                    fill="black",
                )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
