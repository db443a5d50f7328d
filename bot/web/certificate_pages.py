"""Dashboard page «Chứng nhận» (/quan-tri/chung-nhan): the certificates of the viewer's
scope, searchable by number, verify code, name or learner id. Admins may revoke one or
re-issue it after a name correction (bot/certificates/service.py); both are audited.
Also the counts per commune and unit shown on the targets page.
"""

import math
from collections.abc import Sequence

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Row, desc, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import communes as communes_mod
from bot.admin.reports.conditions import learner_conditions
from bot.admin.roles import Filter, Perm, Principal, Role, check, narrow
from bot.certificates import service
from bot.web.admin_common import BadRequest, state
from bot.web.dashboard import _check_csrf, caller, page
from storage.models import AuditLog, Certificate, Learner, Unit
from storage.types import utcnow

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
REASONS_VI = {
    service.REVOKED_ADMIN: "quản trị viên thu hồi",
    service.REVOKED_DELETED: "người học xóa dữ liệu",
    service.REVOKED_REISSUED: "đã cấp lại",
}


def _conditions(who: Principal) -> list:
    """Staff see the certificates of learners in their scope; admins also the stubs left
    by learners who deleted their data."""
    flt = narrow(who, Perm.view, Filter())
    if who.role == Role.admin and not flt.as_dict():
        return []
    return learner_conditions(flt)


def search(q: str) -> list:
    q = q.strip()[:64]
    if not q:
        return []
    like = f"%{q.lower()}%"
    return [
        or_(
            Certificate.number == q,
            Certificate.code == service.normal_code(q),
            func.lower(Certificate.name).like(like),
            Learner.pid == q.lower(),
        )
    ]


async def find(
    session: AsyncSession, conds: list, page_no: int = 1, size: int = PAGE_SIZE
) -> tuple[Sequence[Row[Certificate, str, int | None, str]], int]:
    """(certificate, learner pid, commune code, unit name) rows, newest first; total."""
    base = (
        select(Certificate, Learner.pid, Learner.commune_code, Unit.name)
        .outerjoin(Learner, Learner.id == Certificate.learner_id)
        .outerjoin(Unit, Unit.id == Learner.unit_id)
        .where(*conds)
    )
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (
        await session.execute(
            base.order_by(desc(Certificate.id)).limit(size).offset((page_no - 1) * size)
        )
    ).all()
    return rows, int(total or 0)


@router.get("/quan-tri/chung-nhan", response_class=HTMLResponse)
async def certificates_page(
    request: Request, q: str = "", trang: int = 1, msg: str = ""
) -> Response:
    c = await caller(request)
    check(c.who, Perm.view)
    st = state(request)
    trang = max(1, trang)
    async with st.sessions() as session:
        rows, total = await find(session, [*_conditions(c.who), *search(q)], trang)
    names = communes_mod.by_code()
    items = [
        {
            "c": cert,
            "pid": pid or "—",
            "commune": names[code].name if code in names else "",
            "unit": unit or "",
            "track": service.track_label(cert.track),
            "public": service.public_name(cert),
            "reason": REASONS_VI.get(cert.revoked_reason or "", cert.revoked_reason or ""),
        }
        for cert, pid, code, unit in rows
    ]
    return await page(
        request,
        c,
        "certificates.html",
        "certificates",
        items=items,
        total=total,
        q=q,
        page_no=trang,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        msg=msg,
        tz=st.tz,
        can_manage=c.who.role == Role.admin,
    )


async def _in_scope(session: AsyncSession, who: Principal, cert_id: int) -> Certificate:
    stmt = (
        select(Certificate)
        .outerjoin(Learner, Learner.id == Certificate.learner_id)
        .where(Certificate.id == cert_id, *_conditions(who))
    )
    cert = (await session.execute(stmt)).scalar_one_or_none()
    if cert is None:
        raise BadRequest("Không có giấy chứng nhận này.")
    return cert


async def _back(request: Request, msg: str) -> Response:
    return await certificates_page(request, msg=msg)


@router.post("/quan-tri/chung-nhan/{cert_id}/thu-hoi")
async def revoke(request: Request, cert_id: int, csrf: str = Form("")) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.manage)
    st = state(request)
    async with st.sessions() as session, session.begin():
        cert = await _in_scope(session, c.who, cert_id)
        msg = f"Giấy chứng nhận số {cert.number} đã không còn hiệu lực từ trước."
        if cert.revoked_at is None:
            msg = f"Đã thu hồi giấy chứng nhận số {cert.number}."
            await service.revoke(session, cert, service.REVOKED_ADMIN, utcnow(), st.settings)
            detail = {"number": cert.number}
            session.add(
                AuditLog(actor=c.who.actor[:64], action="certificate_revoked", detail=detail)
            )
    return await _back(request, msg)


@router.post("/quan-tri/chung-nhan/{cert_id}/cap-lai")
async def reissue(
    request: Request, cert_id: int, csrf: str = Form(""), ten: str = Form("")
) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.manage)
    name = service.clean_name(ten)
    if name is None:
        raise BadRequest("Tên không hợp lệ: họ và tên, chỉ gồm chữ cái, ít nhất hai từ.")
    st = state(request)
    async with st.sessions() as session, session.begin():
        old = await _in_scope(session, c.who, cert_id)
        if old.learner_id is None:
            raise BadRequest("Người học đã xóa dữ liệu: không cấp lại được.")
        if old.revoked_at is not None:
            raise BadRequest("Giấy này đã không còn hiệu lực: cấp lại từ giấy đang hợp lệ.")
        new = await service.reissue(session, old, name, utcnow(), st.settings, c.who.actor[:64])
    return await _back(request, f"Đã cấp lại: số {new.number} thay cho số {old.number}.")


async def place_counts(request: Request, who: Principal) -> dict:
    """Valid certificates per commune and unit in the viewer's scope, for the targets
    page: {"total", "communes": [(name, n)], "units": [(name, n)]}."""
    flt = narrow(who, Perm.view, Filter())
    st = state(request)
    async with st.sessions() as session:
        counts = await service.counts_by_place(session, learner_conditions(flt))
        unit_ids = list(counts["units"])
        units = (
            dict(
                (
                    await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
                ).all()
            )
            if unit_ids
            else {}
        )
    names = communes_mod.by_code()
    return {
        "total": counts["total"],
        "communes": sorted(
            ((names[k].name if k in names else str(k), n) for k, n in counts["communes"].items()),
            key=lambda r: (-r[1], r[0]),
        ),
        "units": sorted(
            ((units.get(k, str(k)), n) for k, n in counts["units"].items()),
            key=lambda r: (-r[1], r[0]),
        ),
    }
