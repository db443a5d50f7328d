"""The admin dashboard (Vietnamese): login by one-time link, overview, targets, communes,
units, learners, exports. Every page asks bot/admin/roles.py; staff see only their scope.

The broadcasts and staff pages are in bot/web/broadcast_pages.py.
"""

import hmac
import math
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import desc, func, select, update
from starlette.background import BackgroundTask

from bot import communes as communes_mod
from bot.admin import export as exp
from bot.admin import qr, tokens
from bot.admin.reports.conditions import learner_conditions, search_conditions
from bot.admin.reports.queries import per_learner_select
from bot.admin.reports.targets import DEFINITIONS_VI, UNIT_KINDS
from bot.admin.roles import (
    Forbidden,
    Perm,
    Principal,
    Role,
    allowed,
    check,
    principal_for,
    scope_filter,
)
from bot.admin.units_import import import_units
from bot.web.admin_common import AdminState, BadRequest, resolve_filter, state
from bot.web.charts import bar_chart, vn_number
from lessons.limits import LEARNER_GROUPS
from storage.models import AuditLog, Learner, StaffRole, Unit
from storage.types import utcnow

COOKIE = "hocai_session"
PAGE_SIZE = 50
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
NAV = (
    ("overview", "/quan-tri", "Tổng quan"),
    ("targets", "/quan-tri/chi-tieu", "Chỉ tiêu"),
    ("communes", "/quan-tri/xa-phuong", "Xã, phường"),
    ("units", "/quan-tri/don-vi", "Đơn vị"),
    ("thidua", "/quan-tri/thi-dua", "Thi đua"),  # bot/web/thidua_pages.py
    ("funnel", "/quan-tri/pheu-hoc", "Phễu học"),
    ("learners", "/quan-tri/nguoi-hoc", "Người học"),
    ("stalled", "/quan-tri/can-nhac", "Cần nhắc"),
    ("exports", "/quan-tri/xuat-du-lieu", "Xuất dữ liệu"),
    ("broadcasts", "/quan-tri/thong-bao", "Thông báo"),
    ("certificates", "/quan-tri/chung-nhan", "Chứng nhận"),  # bot/web/certificate_pages.py
    ("staff", "/quan-tri/can-bo", "Cán bộ"),  # admins only (base.html)
    ("questions", "/quan-tri/cau-hoi", "Câu hỏi"),  # Perm.questions (bot/web/tutor_pages.py)
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


def _num(value: float | None) -> str:
    return "—" if value is None else vn_number(value)


TEMPLATES.env.filters["pct"] = _pct
TEMPLATES.env.filters["num"] = _num
TEMPLATES.env.globals["NAV"] = NAV
TEMPLATES.env.globals["GROUPS"] = LEARNER_GROUPS
TEMPLATES.env.globals["UNIT_KINDS"] = UNIT_KINDS
TEMPLATES.env.globals["DEFINITIONS"] = DEFINITIONS_VI

router = APIRouter(include_in_schema=False)


class NotLoggedIn(Exception):
    """No valid session: the dashboard sends the browser to the login page."""


# --- who is asking ------------------------------------------------------------------------


class Caller:
    def __init__(self, who: Principal, csrf: str, token: str):
        self.who, self.csrf, self.token = who, csrf, token


async def caller(request: Request) -> Caller:
    st = state(request)
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotLoggedIn()
    async with st.sessions() as session:
        web = await tokens.session_for(session, token, utcnow())
        if web is None:
            raise NotLoggedIn()
        who = await principal_for(session, st.settings, web.channel, web.channel_user_id)
    return Caller(who, web.csrf_token, token)


def _check_csrf(c: Caller, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, c.csrf):
        raise Forbidden("csrf")


def scope_label(who: Principal, unit: Unit | None = None) -> str:
    s = who.scope
    if s is None:
        return ""
    if s.kind == "commune":
        c = communes_mod.lookup(s.commune)
        return c.name if c else f"xã/phường {s.commune}"
    if s.kind == "unit":
        return f"đơn vị {unit.name}" if unit else "đơn vị của bạn"
    return "toàn tỉnh"


async def page(request: Request, c: Caller, name: str, active: str, **ctx: Any) -> HTMLResponse:
    st = state(request)
    unit = None
    if c.who.scope and c.who.scope.kind == "unit":
        async with st.sessions() as session:
            unit = await session.get(Unit, c.who.scope.unit_id)
    role = "Quản trị viên" if c.who.role == Role.admin else "Cán bộ"
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "active": active,
            "who": c.who,
            "who_label": f"{c.who.name or role} · {scope_label(c.who, unit)}",
            "csrf": c.csrf,
            "is_admin": c.who.role == Role.admin,
            "can_questions": allowed(c.who, Perm.questions),
            **ctx,
        },
    )


def message_page(request: Request, title: str, text: str, status: int) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, "message.html", {"title": title, "text": text}, status_code=status
    )


# --- login / logout -----------------------------------------------------------------------


@router.get("/dang-nhap", response_class=HTMLResponse)
async def login_help(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "login.html", {"token": None})


@router.get("/dang-nhap/{token}", response_class=HTMLResponse)
async def login_confirm(request: Request, token: str) -> Response:
    # A GET only shows a button: chat apps fetch links for previews, which must not
    # use up the one-time link.
    return TEMPLATES.TemplateResponse(request, "login.html", {"token": token})


@router.post("/dang-nhap/{token}")
async def login(request: Request, token: str) -> Response:
    st = state(request)
    now = utcnow()
    async with st.sessions() as session, session.begin():
        chat = await tokens.consume_login(session, st.settings, token, now)
        if chat is None:
            return message_page(
                request,
                "Đường dẫn không dùng được",
                "Đường dẫn đăng nhập đã hết hạn, đã được dùng, hoặc không đúng. "
                "Bạn gửi /dangnhap cho trợ lý để nhận đường dẫn mới nhé.",
                403,
            )
        who = await principal_for(session, st.settings, *chat)
        if who.role == Role.learner:
            return message_page(
                request,
                "Không có quyền",
                "Tài khoản của bạn không có quyền xem trang quản trị.",
                403,
            )
        cookie, _csrf = await tokens.create_session(session, st.settings, *chat, now)
        await session.execute(
            update(StaffRole)
            .where(StaffRole.channel == chat[0], StaffRole.channel_user_id == chat[1])
            .values(last_seen_at=now)
        )
        session.add(AuditLog(actor=who.actor[:64], action="dashboard_login", detail={}))
    st.reports.invalidate()  # the core team just became active
    response = RedirectResponse("/quan-tri", status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=st.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=st.settings.public_base_url.startswith("https://"),
        path="/",
    )
    return response


@router.post("/dang-xuat")
async def logout(request: Request, csrf: str = Form("")) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    async with state(request).sessions() as session, session.begin():
        await tokens.end_session(session, c.token)
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- public: a unit's join page ---------------------------------------------------------


@router.get("/vao/{code}", response_class=HTMLResponse)
async def join_page(request: Request, code: str) -> Response:
    st = state(request)
    async with st.sessions() as session:
        unit = (
            await session.execute(select(Unit).where(Unit.code == code.strip().upper()[:32]))
        ).scalar_one_or_none()
    if unit is None:
        return message_page(request, "Không tìm thấy", "Không có đơn vị với mã này.", 404)
    return TEMPLATES.TemplateResponse(
        request,
        "join.html",
        {"unit": unit, "telegram": qr.telegram_url(st.settings, unit.code)},
    )


# --- pages --------------------------------------------------------------------------------


@router.get("/quan-tri", response_class=HTMLResponse)
async def overview(request: Request) -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.view)
    st = state(request)
    report = await st.reports.report(scope)
    trend = await st.reports.trend(scope_filter(scope), st.tz)
    labels = [f"{w['week']:%d/%m}" for w in trend]
    series = (
        ("learners", "Người học mới mỗi tuần", "#2e7d32"),
        ("lessons", "Bài học hoàn thành mỗi tuần", "#1565c0"),
        ("passed", "Đạt kiểm tra cuối khóa mỗi tuần", "#ef6c00"),
    )
    charts = [
        (title, bar_chart(labels, [w[key] for w in trend], title, color))
        for key, title, color in series
    ]
    return await page(
        request, c, "overview.html", "overview", report=report, charts=charts, tz=st.tz
    )


@router.get("/quan-tri/chi-tieu", response_class=HTMLResponse)
async def targets(request: Request) -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.view)
    report = await state(request).reports.report(scope)
    from bot.web.certificate_pages import place_counts  # it imports this module

    certificates = await place_counts(request, c.who)
    return await page(
        request, c, "targets.html", "targets", report=report, certificates=certificates
    )


COMMUNE_SORTS = {
    "ten": lambda r: r.name,
    "hoc": lambda r: r.counts.learners,
    "xong": lambda r: r.trained_pct if r.trained_pct is not None else -1,
    "tt": lambda r: r.proficient_pct if r.proficient_pct is not None else -1,
    "nhom": lambda r: r.team_active,
    "co": lambda r: len(r.flags),
}


@router.get("/quan-tri/xa-phuong", response_class=HTMLResponse)
async def communes(
    request: Request, sap: str = "co", chieu: str = "giam", duoi: int = 0
) -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.view)
    report = await state(request).reports.report(scope)
    rows = list(report.communes)
    key = COMMUNE_SORTS.get(sap, COMMUNE_SORTS["co"])
    rows.sort(key=lambda r: (key(r), r.name), reverse=chieu != "tang")
    if duoi:
        rows = [r for r in rows if r.flags]
    return await page(
        request,
        c,
        "communes.html",
        "communes",
        report=report,
        rows=rows,
        sort=sap,
        order=chieu,
        below_only=duoi,
    )


@router.get("/quan-tri/don-vi", response_class=HTMLResponse)
async def units(request: Request, msg: str = "", err: str = "") -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.view)
    report = await state(request).reports.report(scope)
    return await page(
        request,
        c,
        "units.html",
        "units",
        report=report,
        can_import=allowed(c.who, Perm.import_units),
        msg=msg,
        errors=[e for e in err.split("\n") if e],
    )


@router.post("/quan-tri/don-vi/nhap", response_class=HTMLResponse)
async def units_import(request: Request, file: UploadFile, csrf: str = Form("")) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.import_units)
    st = state(request)
    data = await file.read(5_000_001)
    if len(data) > 5_000_000:
        return await units(request, err="Tệp quá lớn (tối đa 5 MB).")
    async with st.sessions() as session, session.begin():
        result = await import_units(session, data, c.who.actor)  # writes nothing on errors
    st.reports.invalidate()
    if result.errors:
        return await units(request, err="\n".join(result.errors[:50]))
    return await units(
        request, msg=f"Đã nhập: {result.added} đơn vị mới, {result.updated} đơn vị cập nhật."
    )


async def _unit_in_scope(request: Request, c: Caller, code: str) -> Unit:
    async with state(request).sessions() as session:
        unit = (
            await session.execute(select(Unit).where(Unit.code == code.strip().upper()[:32]))
        ).scalar_one_or_none()
    if unit is None:
        check(c.who, Perm.manage)  # only an admin learns that a code does not exist
        raise BadRequest("no such unit")
    check(c.who, Perm.unit_links, unit_id=unit.id, unit_commune=unit.commune_code)
    return unit


@router.get("/quan-tri/don-vi/{code}/qr.png")
async def unit_qr(request: Request, code: str) -> Response:
    c = await caller(request)
    unit = await _unit_in_scope(request, c, code)
    png = qr.qr_png(qr.join_url(state(request).settings, unit.code))
    return Response(
        png,
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="{unit.code}.png"'},
    )


@router.get("/quan-tri/don-vi/ma-qr.zip")
async def units_zip(request: Request) -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.unit_links)
    st = state(request)
    report = await st.reports.report(scope)
    codes = [u.code for u in report.units]
    async with st.sessions() as session:
        rows = (
            list(
                (
                    await session.execute(
                        select(Unit).where(Unit.code.in_(codes)).order_by(Unit.code)
                    )
                )
                .scalars()
                .all()
            )
            if codes
            else []
        )
    name = f"ma-qr-don-vi_{utcnow().astimezone(st.tz):%Y%m%d-%H%M}.zip"
    return Response(
        qr.links_zip(rows, st.settings),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/quan-tri/nguoi-hoc", response_class=HTMLResponse)
async def learners(
    request: Request,
    q: str = "",
    xa: str = "",
    don_vi: str = "",
    nhom: str = "",
    trang: int = 1,
) -> Response:
    c = await caller(request)
    st = state(request)
    flt, _scope, _unit = await resolve_filter(st, c.who, Perm.view, xa, don_vi, nhom)
    conds = [*learner_conditions(flt), *search_conditions(q)]
    trang = max(1, trang)
    async with st.sessions() as session:
        total = int(
            (
                await session.execute(select(func.count()).select_from(Learner).where(*conds))
            ).scalar_one()
        )
        ids = cast(  # stored rows' ids are never None
            list[int],
            (
                await session.execute(
                    select(Learner.id)
                    .where(*conds)
                    .order_by(desc(Learner.id))
                    .limit(PAGE_SIZE)
                    .offset((trang - 1) * PAGE_SIZE)
                )
            )
            .scalars()
            .all(),
        )
        rows = (
            (await session.execute(per_learner_select(st.catalog, flt, ids=ids))).all()
            if ids
            else []
        )
    conv = exp._Rows(st.tz)
    people = [conv.csv(r) for r in sorted(rows, key=lambda r: r[0], reverse=True)]
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return await page(
        request,
        c,
        "learners.html",
        "learners",
        people=people,
        total=total,
        page_no=trang,
        pages=pages,
        q=q,
        xa=xa,
        don_vi=don_vi,
        nhom=nhom,
        communes=_communes_for(c.who),
    )


def _communes_for(who: Principal) -> list[communes_mod.Commune]:
    everything = communes_mod.all_communes()
    if who.scope and who.scope.kind == "commune":
        return [x for x in everything if x.code == who.scope.commune]
    if who.scope and who.scope.kind == "unit":
        return []
    return list(everything)


@router.get("/quan-tri/xuat-du-lieu", response_class=HTMLResponse)
async def exports(request: Request) -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.export)
    st = state(request)
    report = await st.reports.report(scope)
    stmt = select(AuditLog).where(AuditLog.action == "progress_exported")
    if c.who.role != Role.admin:
        stmt = stmt.where(AuditLog.actor == c.who.actor[:64])
    async with st.sessions() as session:
        history = list(
            (await session.execute(stmt.order_by(desc(AuditLog.id)).limit(20))).scalars()
        )
    return await page(
        request,
        c,
        "exports.html",
        "exports",
        units=report.units,
        communes=_communes_for(c.who),
        history=history,
        tz=st.tz,
    )


@router.post("/quan-tri/xuat-du-lieu/tai")
async def export_download(
    request: Request,
    csrf: str = Form(""),
    dinh_dang: str = Form("xlsx"),
    xa: str = Form(""),
    don_vi: str = Form(""),
    nhom: str = Form(""),
) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    if dinh_dang not in exp.FORMATS:
        raise BadRequest("format must be csv or xlsx")
    return await send_export(request, c.who, dinh_dang, xa, don_vi, nhom)


async def send_export(
    request: Request,
    who: Principal,
    fmt: str,
    commune: str | int | None,
    unit: str | None,
    group: str | None,
) -> Response:
    """The export as a download (CSV streamed; XLSX from a temporary file). Audited."""
    st = state(request)
    flt, scope, _unit = await resolve_filter(st, who, Perm.export, commune, unit, group)
    job = exp.Export(fmt, flt, who.actor, scope)
    name = exp.filename(fmt, utcnow(), st.tz)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return StreamingResponse(
            exp.audited_csv_stream(st.sessions, st.catalog, job, st.tz, name),
            media_type=exp.media_type(fmt),
            headers=headers,
        )
    path, _rows = await exp.xlsx_tempfile(st.sessions, st.catalog, st.reports, job, st.tz)
    return _file_response(path, fmt, headers)


def _file_response(path: Path, fmt: str, headers: dict) -> Response:
    from fastapi.responses import FileResponse

    return FileResponse(
        path,
        media_type=exp.media_type(fmt),
        headers=headers,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


__all__ = ["router", "NotLoggedIn", "AdminState", "COOKIE", "send_export"]
