"""Join links of units and their QR codes (PNG, by segno: no image library needed).

A unit's join link is `{PUBLIC_BASE_URL}/vao/<CODE>`: a small public page that names the
unit and shows how to join on each channel (Telegram opens the bot with the code; Zalo
has no start parameter, so the page says which code to type). The printed QR code stays
valid whatever the bots are called.
"""

import csv
import html
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import segno

from bot.config import Settings
from storage.models import Unit

SCALE = 10  # pixels per module: about 4 cm wide at 300 dpi for a short URL


def join_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/vao/{code}"


def telegram_url(settings: Settings, code: str) -> str | None:
    if not settings.telegram_bot_username:
        return None
    return f"https://t.me/{settings.telegram_bot_username.lstrip('@')}?start={code}"


def qr_png(url: str, scale: int = SCALE) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def _index_csv(units: Iterable[Unit], settings: Settings) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Mã", "Tên đơn vị", "Liên kết tham gia", "Tệp mã QR"])
    for u in units:
        w.writerow([u.code, u.name, join_url(settings, u.code), f"{u.code}.png"])
    return "\ufeff" + buf.getvalue()


def _index_html(units: Iterable[Unit], settings: Settings) -> str:
    cards = "\n".join(
        f'<div class="card"><img src="{html.escape(u.code)}.png" alt="QR"><h2>'
        f"{html.escape(u.name)}</h2><p>Quét mã để tham gia học «Bình dân học AI»<br>"
        f"hoặc nhắn mã <b>{html.escape(u.code)}</b> cho trợ lý học AI.</p>"
        f"<p class=url>{html.escape(join_url(settings, u.code))}</p></div>"
        for u in units
    )
    return (
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Mã QR tham gia</title>'
        "<style>body{font-family:sans-serif}.card{display:inline-block;width:45%;margin:1%;"
        "padding:8px;border:1px solid #999;text-align:center;page-break-inside:avoid}"
        ".card img{width:60%}.url{font-size:11px;word-break:break-all}</style>"
        f"<body>{cards}</body></html>"
    )


def write_links(units: list[Unit], out: Path, settings: Settings) -> int:
    """<CODE>.png for each unit, plus lien-ket.csv and in-ma-qr.html (a printable sheet)."""
    out.mkdir(parents=True, exist_ok=True)
    for u in units:
        (out / f"{u.code}.png").write_bytes(qr_png(join_url(settings, u.code)))
    (out / "lien-ket.csv").write_text(_index_csv(units, settings), encoding="utf-8")
    (out / "in-ma-qr.html").write_text(_index_html(units, settings), encoding="utf-8")
    return len(units)


def links_zip(units: list[Unit], settings: Settings) -> bytes:
    """The same files in a ZIP, for the dashboard."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for u in units:
            z.writestr(f"{u.code}.png", qr_png(join_url(settings, u.code)))
        z.writestr("lien-ket.csv", _index_csv(units, settings))
        z.writestr("in-ma-qr.html", _index_html(units, settings))
    return buf.getvalue()
