"""Certificates: issue, find, revoke, re-issue; the files as a cache of the database row.

- The row (storage.models.Certificate) is the truth; the PDF and PNG are rendered from it
  and kept under CERTIFICATE_DIR as `<file_token>.pdf|png`. A process that lacks them (a
  second host, a fresh disk, a re-issue) renders them again on first need, so several
  processes need no shared disk and no file is ever the only copy of anything.
- Codes: the verify code is 80 random bits (16 base32 characters, in the QR and printed);
  the file token (for the PNG/PDF URL Zalo fetches) is a separate 192-bit secret, because
  the verify code is public by design and the file shows the full name.
- Rendering takes ~0.2 s of CPU, so the chat never renders inside its database
  transaction: a flow returns a placeholder (`meta["certificate"]`) and `finish()`,
  called by the engine after the commit, renders in a thread and fills in the files.
"""

import asyncio
import base64
import dataclasses
import logging
import secrets
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.certificates.render import View, printable, render_pdf, render_png
from bot.config import Settings, get_settings
from bot.messages import Outbound
from lessons.limits import LEARNER_GROUPS
from storage.models import AuditLog, Certificate, Learner

log = logging.getLogger("hocai.certificates")

CODE_BYTES = 10  # 80 bits: 16 base32 characters
FILE_TOKEN_BYTES = 24  # 192 bits
REVOKED_DELETED, REVOKED_ADMIN, REVOKED_REISSUED = "deleted", "admin", "reissued"
MAX_NAME_CHARS = 60  # one line on the certificate at the smallest name size


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def normal_code(text: str) -> str:
    """What a person may type or a QR may carry: any case, with dashes or spaces."""
    return "".join(ch for ch in text.upper() if ch.isalnum())[:24]


def initialled(name: str | None) -> str:
    """'Nguyễn Văn An' -> 'N. V. An': the family and middle names as initials."""
    words = (name or "").split()
    if len(words) < 2:
        return " ".join(words)
    return " ".join([*(f"{w[0]}." for w in words[:-1]), words[-1]])


def public_name(cert: Certificate) -> str:
    return (cert.name or "") if cert.full_name_public else initialled(cert.name)


def track_label(track: str) -> str:
    return LEARNER_GROUPS.get(track, track)


def verify_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/verify/{code}"


def file_url(settings: Settings, cert: Certificate, ext: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/chung-nhan/{cert.file_token}.{ext}"


def directory(settings: Settings) -> Path:
    return Path(settings.certificate_dir)


def paths(settings: Settings, cert: Certificate) -> tuple[Path, Path]:
    base = directory(settings) / cert.file_token
    return base.with_suffix(".pdf"), base.with_suffix(".png")


def view(cert: Certificate, settings: Settings, tz: ZoneInfo) -> View:
    return View(
        name=cert.name or "",
        track_label=track_label(cert.track),
        score=cert.score,
        total=cert.total,
        number=cert.number or "",
        code=cert.code,
        issued_on=cert.issued_at.astimezone(tz).date(),
        verify_url=verify_url(settings, cert.code),
    )


def write_files(cert: Certificate, settings: Settings, tz: ZoneInfo) -> tuple[Path, Path]:
    """Render both files if either is missing (blocking: call it in a thread). Written to
    a temporary name and renamed, so a reader never sees half a file."""
    pdf, png = paths(settings, cert)
    if pdf.is_file() and png.is_file():
        return pdf, png
    pdf.parent.mkdir(parents=True, exist_ok=True)
    v = view(cert, settings, tz)
    for path, data in ((pdf, render_pdf(v)), (png, render_png(v))):
        tmp = path.with_suffix(path.suffix + f".{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return pdf, png


def remove_files(cert: Certificate, settings: Settings) -> None:
    for path in paths(settings, cert):
        path.unlink(missing_ok=True)


# --- rows -----------------------------------------------------------------------------


async def current(session: AsyncSession, learner_id: int) -> Certificate | None:
    """The learner's valid certificate (the newest, if ever more than one)."""
    stmt = (
        select(Certificate)
        .where(Certificate.learner_id == learner_id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_code(session: AsyncSession, code: str) -> Certificate | None:
    code = normal_code(code)
    if not code:
        return None
    stmt = select(Certificate).where(Certificate.code == code)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_file_token(session: AsyncSession, token: str) -> Certificate | None:
    if not token or len(token) > 48:
        return None
    stmt = select(Certificate).where(Certificate.file_token == token)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_number(session: AsyncSession, number: str) -> Certificate | None:
    stmt = select(Certificate).where(Certificate.number == number.strip())
    return (await session.execute(stmt)).scalar_one_or_none()


async def issue(
    session: AsyncSession,
    *,
    learner_id: int,
    name: str,
    full_name_public: bool,
    track: str,
    score: int,
    total: int,
    passed_at: datetime,
    now: datetime,
) -> Certificate:
    """A new certificate row with its number (the year and the row id)."""
    cert = Certificate(
        code=new_code(),
        file_token=secrets.token_urlsafe(FILE_TOKEN_BYTES),
        learner_id=learner_id,
        name=name,
        full_name_public=full_name_public,
        track=track,
        score=score,
        total=total,
        passed_at=passed_at,
        issued_at=now,
    )
    session.add(cert)
    await session.flush()
    cert.number = f"{now.year}-{cert.id:06d}"
    await session.flush()
    return cert


async def revoke(
    session: AsyncSession, cert: Certificate, reason: str, now: datetime, settings: Settings
) -> None:
    if cert.revoked_at is None:
        cert.revoked_at, cert.revoked_reason = now, reason
    remove_files(cert, settings)  # a revoked certificate is never served again
    await session.flush()


async def revoke_for_deletion(
    session: AsyncSession, learner: Learner, now: datetime, settings: Settings | None = None
) -> int:
    """The learner deletes their data: every certificate of theirs is revoked, its files
    removed, and the row kept only as a stub (no name, no learner) so that its QR code
    still answers "không còn hiệu lực". Returns how many."""
    settings = settings or get_settings()
    rows = (
        await session.execute(select(Certificate).where(Certificate.learner_id == learner.id))
    ).scalars()
    n = 0
    for cert in rows:
        await revoke(session, cert, REVOKED_DELETED, now, settings)
        cert.revoked_reason = REVOKED_DELETED
        cert.name, cert.learner_id, cert.full_name_public = None, None, False
        n += 1
    await session.flush()
    return n


async def reissue(
    session: AsyncSession,
    old: Certificate,
    name: str,
    now: datetime,
    settings: Settings,
    actor: str,
) -> Certificate:
    """A corrected name: the old certificate is revoked ("reissued") and a new one, with
    a new number and code, carries the same result."""
    if old.learner_id is None:
        raise ValueError("this certificate's learner deleted their data")
    await revoke(session, old, REVOKED_REISSUED, now, settings)
    new = await issue(
        session,
        learner_id=old.learner_id,
        name=name,
        full_name_public=old.full_name_public,
        track=old.track,
        score=old.score,
        total=old.total,
        passed_at=old.passed_at,
        now=now,
    )
    session.add(
        AuditLog(
            actor=actor,
            action="certificate_reissued",
            detail={"old": old.number, "new": new.number},
        )
    )
    await session.flush()
    return new


def clean_name(text: str) -> str | None:
    """A typed name made tidy ('nguyễn  văn an' -> 'Nguyễn Văn An'); None if it is not a
    plausible full name (two words or more of letters, hyphens, apostrophes; ≤60
    characters)."""
    words = unicodedata.normalize("NFC", text).replace("_", " ").split()
    name = " ".join(
        w[:1].upper() + w[1:].lower() if w.islower() or w.isupper() else w for w in words
    )
    if len(words) < 2 or len(name) > MAX_NAME_CHARS:  # "họ và tên": two words at least
        return None
    letters = printable()
    if not all((ch.isalpha() and ch in letters) or ch in " -'." for ch in name):
        return None
    if not all(any(ch.isalpha() for ch in w) for w in words):
        return None
    return name


# --- counts for the targets page and the export -------------------------------------------


async def counts_by_place(session: AsyncSession, flt_conditions: list) -> dict:
    """Valid certificates per commune and per unit, of the learners `flt_conditions`
    select (the caller's scope): {"communes": {code: n}, "units": {unit id: n}, "total"}."""
    base = (
        select(Learner.commune_code, Learner.unit_id, func.count(Certificate.id))
        .join(Learner, Learner.id == Certificate.learner_id)
        .where(Certificate.revoked_at.is_(None), *flt_conditions)
        .group_by(Learner.commune_code, Learner.unit_id)
    )
    communes: dict = {}
    units: dict = {}
    total = 0
    for commune, unit, n in (await session.execute(base)).all():
        total += n
        if commune is not None:
            communes[commune] = communes.get(commune, 0) + n
        if unit is not None:
            units[unit] = units.get(unit, 0) + n
    return {"communes": communes, "units": units, "total": total}


# --- after the commit -------------------------------------------------------------------


async def finish(
    out: list[Outbound], sessions: async_sessionmaker[AsyncSession], tz: ZoneInfo
) -> list[Outbound]:
    """Replace each certificate placeholder (meta["certificate"] = id) by the files:
    rendered here, after the inbound's commit and off the event loop."""
    if not any(m.meta and "certificate" in m.meta for m in out):
        return out
    settings = get_settings()
    done: list[Outbound] = []
    for message in out:
        cert_id = message.meta.get("certificate") if message.meta else None
        if cert_id is None:
            done.append(message)
            continue
        async with sessions() as session:
            cert = await session.get(Certificate, cert_id)
        if cert is None or cert.revoked_at is not None:
            continue
        try:
            pdf, png = await asyncio.to_thread(write_files, cert, settings, tz)
        except Exception:  # a full disk, a font problem: the text still goes out
            log.exception("certificate files could not be rendered")
            done.append(dataclasses.replace(message, meta={}))
            continue
        done += attachments(message, cert, settings, pdf, png)
    return done


def attachments(
    message: Outbound, cert: Certificate, settings: Settings, pdf: Path, png: Path
) -> list[Outbound]:
    """The picture (with the message's text) and the PDF. A file path for channels that
    upload (Telegram, console); the web app's URL for those that fetch (Zalo)."""
    return [
        dataclasses.replace(
            message,
            choices=(),
            kind="image",
            attachment=str(png),
            public_url=file_url(settings, cert, "png"),
            meta={"certificate_number": cert.number},
        ),
        Outbound(
            f"📄 Bản PDF để in: giấy chứng nhận số {cert.number}.",
            message.choices,
            kind="document",
            attachment=str(pdf),
            public_url=file_url(settings, cert, "pdf"),
            meta={"certificate_number": cert.number},
        ),
    ]
