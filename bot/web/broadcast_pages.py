"""Dashboard pages of the broadcast feature (Vietnamese):

- «Thông báo» (/quan-tri/thong-bao): the broadcasts whose audience lies in the viewer's
  scope (and their own), with progress and outcome; the author or an admin may cancel one
  that is not finished. Composing is done in the chat (/thongbao).
- «Cán bộ» (/quan-tri/can-bo): admins only: who has a role, grant and remove.

Permissions come from bot/admin/roles.py, as on every other page.
"""

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import or_

from bot import communes as communes_mod
from bot.admin import staff
from bot.admin.roles import (
    Filter,
    Forbidden,
    Perm,
    Principal,
    check,
    may_manage_broadcast,
    narrow,
)
from bot.outreach import broadcasts
from bot.web.admin_common import state
from bot.web.dashboard import _check_csrf, caller, page
from storage.models import Broadcast, OutboxStatus
from storage.types import utcnow

router = APIRouter(include_in_schema=False)
LIST_LIMIT = 100
STATUS_VI = {
    "scheduled": "Đã hẹn giờ",
    "queueing": "Đang chuẩn bị",
    "sending": "Đang gửi",
    "done": "Đã xong",
    "cancelled": "Đã hủy",
}


def _visible(who: Principal) -> list:
    """Broadcasts a viewer sees: those whose audience lies in their scope, and their own."""
    flt = narrow(who, Perm.view, Filter())
    own = (Broadcast.author_channel == who.channel) & (Broadcast.author_user_id == who.user_id)
    if flt.unit_id is not None:
        return [or_(Broadcast.unit_id == flt.unit_id, own)]
    if flt.commune is not None:
        return [or_(Broadcast.commune_code == flt.commune, own)]
    return []


@router.get("/quan-tri/thong-bao", response_class=HTMLResponse)
async def broadcasts_page(request: Request, msg: str = "") -> Response:
    c = await caller(request)
    check(c.who, Perm.view)
    st = state(request)
    async with st.sessions() as session:
        rows = await broadcasts.recent(session, _visible(c.who), limit=LIST_LIMIT)
    items = [
        {
            "b": b,
            "counts": counts,
            "sent": counts[OutboxStatus.sent],
            "status": STATUS_VI.get(b.status, b.status),
            "can_cancel": b.status in broadcasts.ACTIVE
            and may_manage_broadcast(c.who, b.author_channel, b.author_user_id),
        }
        for b, counts in rows
    ]
    return await page(
        request,
        c,
        "broadcasts.html",
        "broadcasts",
        items=items,
        msg=msg,
        tz=st.tz,
    )


@router.post("/quan-tri/thong-bao/{broadcast_id}/huy", response_class=HTMLResponse)
async def broadcast_cancel(request: Request, broadcast_id: int, csrf: str = Form("")) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.broadcast)
    st = state(request)
    try:
        async with st.sessions() as session, session.begin():
            bc = await broadcasts.cancel(session, c.who, broadcast_id, utcnow())
    except broadcasts.NotFound as e:
        raise Forbidden(Perm.broadcast.value) from e
    except broadcasts.NotActive:
        return await broadcasts_page(
            request, msg=f"Thông báo #{broadcast_id} đã xong hoặc đã hủy rồi."
        )
    return await broadcasts_page(
        request,
        msg=f"Đã hủy thông báo #{bc.id}; đã gửi trước khi hủy: {bc.delivered or 0}/"
        f"{bc.recipients} người.",
    )


# --- staff (admins only) ------------------------------------------------------------------


@router.get("/quan-tri/can-bo", response_class=HTMLResponse)
async def staff_page(request: Request, msg: str = "", err: str = "") -> Response:
    c = await caller(request)
    check(c.who, Perm.manage)
    async with state(request).sessions() as session:
        rows = await staff.roles(session)
    return await page(
        request,
        c,
        "staff.html",
        "staff",
        rows=rows,
        communes=communes_mod.all_communes(),
        msg=msg,
        err=err,
        tz=state(request).tz,
    )


@router.post("/quan-tri/can-bo/them", response_class=HTMLResponse)
async def staff_grant(
    request: Request,
    csrf: str = Form(""),
    kenh: str = Form(""),
    ma_nguoi_dung: str = Form(""),
    vai_tro: str = Form("staff"),
    pham_vi: str = Form("province"),
    don_vi: str = Form(""),
    ten: str = Form(""),
) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.manage)
    try:
        spec = staff.parse_scope(f"unit:{don_vi.strip()}" if don_vi.strip() else pham_vi)
        async with state(request).sessions() as session, session.begin():
            row = await staff.grant(
                session, kenh, ma_nguoi_dung, vai_tro, spec, c.who.actor, ten.strip() or None
            )
    except staff.GrantError as e:
        return await staff_page(request, err=str(e))
    state(request).reports.invalidate()  # core teams are in the report
    role = "quản trị viên" if row.role == "admin" else "cán bộ"
    return await staff_page(
        request, msg=f"Đã cấp quyền {role} cho {row.channel}:{row.channel_user_id}."
    )


@router.post("/quan-tri/can-bo/xoa", response_class=HTMLResponse)
async def staff_remove(
    request: Request, csrf: str = Form(""), kenh: str = Form(""), ma_nguoi_dung: str = Form("")
) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.manage)
    async with state(request).sessions() as session, session.begin():
        removed = await staff.revoke(session, kenh, ma_nguoi_dung, c.who.actor)
    state(request).reports.invalidate()
    text = f"Đã bỏ quyền của {kenh}:{ma_nguoi_dung}." if removed else "Không có quyền nào để bỏ."
    return await staff_page(request, msg=text)
