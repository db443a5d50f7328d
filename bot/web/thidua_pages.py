"""Dashboard pages of the emulation movement (thi đua), in Vietnamese:

- «Thi đua» (/quan-tri/thi-dua): communes and units ranked by share trained (or
  proficient) of their population base, with the change since a week ago; the whole
  ranking for everyone (aggregates only), the viewer's own commune/unit marked;
- «Phễu học» (/quan-tri/pheu-hoc): the funnel by commune, unit or group and the weekly
  cohorts, narrowed to the viewer's scope like every list;
- «Cần nhắc» (/quan-tri/can-nhac): the stalled learners of the viewer's scope, with
  «Nhắc» (a nudge through the bot) and «Đã gọi» (bot/outreach/stalled.py).

Permissions come from bot/admin/roles.py, as on every other page.
"""

import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.admin import funnel as funnel_mod
from bot.admin import leaderboard
from bot.admin.roles import Forbidden, Perm, allowed, check
from bot.config import parse_quiet_hours
from bot.outreach import stalled
from bot.web.admin_common import BadRequest, resolve_filter, state
from bot.web.charts import hbar_chart
from bot.web.dashboard import _check_csrf, caller, page
from lessons.limits import LEARNER_GROUPS
from storage.models import Learner, Unit

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
BY_VI = {"trained": "học xong phần cơ bản", "proficient": "thành thạo"}
FUNNEL_BY = {"xa": "commune", "don-vi": "unit", "nhom": "group"}


def standings(request: Request) -> leaderboard.Standings:
    """The mark rows, kept as long as the targets report (its TTL; tests set 0)."""
    st = state(request)
    app_state = request.app.state
    if getattr(app_state, "thidua", None) is None:
        app_state.thidua = leaderboard.Standings(st.sessions, clock=lambda: st.reports.clock())
    app_state.thidua.ttl = st.reports.ttl
    return app_state.thidua


@router.get("/quan-tri/thi-dua", response_class=HTMLResponse)
async def leaderboard_page(request: Request, theo: str = "trained") -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.view)
    if theo not in leaderboard.BY:
        raise BadRequest("theo must be trained or proficient")
    board = await standings(request).board(theo)
    own_commune = str(scope.commune) if scope.kind == "commune" else None
    own_unit = None
    if scope.kind == "unit":
        async with state(request).sessions() as session:
            unit = await session.get(Unit, scope.unit_id)
            own_unit = unit.code if unit else None

    def pct(s: leaderboard.Standing) -> float:
        v = s.trained_pct if theo == "trained" else s.proficient_pct
        return v or 0.0

    rows = board.communes
    mark = next((i for i, s in enumerate(rows) if s.code == own_commune), None)
    chart = hbar_chart(
        [f"{s.rank}. {s.name}" for s in rows],
        [float(pct(s)) for s in rows],
        f"Xếp hạng xã, phường theo tỷ lệ {BY_VI[theo]}",
        suffix="%",
        highlight=mark,
    )
    return await page(
        request,
        c,
        "leaderboard.html",
        "thidua",
        board=board,
        by=theo,
        by_vi=BY_VI,
        chart=chart,
        own_commune=own_commune,
        own_unit=own_unit,
        tz=state(request).tz,
    )


@router.get("/quan-tri/pheu-hoc", response_class=HTMLResponse)
async def funnel_page(
    request: Request, theo: str = "xa", xa: str = "", don_vi: str = "", nhom: str = ""
) -> Response:
    c = await caller(request)
    check(c.who, Perm.view)
    if theo not in FUNNEL_BY:
        raise BadRequest("theo must be xa, don-vi or nhom")
    st = state(request)
    flt, _scope, _unit = await resolve_filter(st, c.who, Perm.view, xa, don_vi, nhom)
    now, rows, units, _bases = await standings(request).data()
    total, parts = funnel_mod.funnel(rows, flt, FUNNEL_BY[theo], units)
    async with st.sessions() as session:
        cohorts = await funnel_mod.cohorts(session, flt, now, st.tz)
    chart = hbar_chart(
        [label for _, label in funnel_mod.STAGES],
        total.counts,
        "Phễu học tập",
    )
    size_chart = hbar_chart(
        [f"{co.week:%d/%m}" for co in cohorts],
        [co.size for co in cohorts],
        "Người học mới theo tuần tham gia",
        color="#1565c0",
    )
    return await page(
        request,
        c,
        "funnel.html",
        "funnel",
        total=total,
        parts=parts,
        stages=funnel_mod.STAGES,
        chart=chart,
        size_chart=size_chart,
        cohorts=cohorts,
        weeks=funnel_mod.COHORT_WEEKS,
        by=theo,
        flt=flt,
        xa=xa,
        don_vi=don_vi,
        nhom=nhom,
        groups=LEARNER_GROUPS,
        tz=st.tz,
    )


@router.get("/quan-tri/can-nhac", response_class=HTMLResponse)
async def stalled_page(request: Request, trang: int = 1, msg: str = "") -> Response:
    c = await caller(request)
    scope = check(c.who, Perm.view)
    st = state(request)
    now = st.reports.clock()
    t = {"ignored": st.settings.stalled_after_ignored, "days": st.settings.stalled_after_days}
    async with st.sessions() as session:
        total = await stalled.count(session, scope, now, st.tz, **t)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        trang = min(max(1, trang), pages)
        rows = await stalled.page(
            session,
            scope,
            now,
            st.tz,
            limit=PAGE_SIZE,
            offset=(trang - 1) * PAGE_SIZE,
            **t,
        )
    return await page(
        request,
        c,
        "stalled.html",
        "stalled",
        rows=rows,
        total=total,
        page_no=trang,
        pages=pages,
        today=now.astimezone(st.tz).date(),
        thresholds=t,
        can_act=allowed(c.who, Perm.broadcast),
        msg=msg,
        tz=st.tz,
    )


@router.post("/quan-tri/can-nhac/{learner_id}/{what}", response_class=HTMLResponse)
async def stalled_act(
    request: Request, learner_id: int, what: str, csrf: str = Form(""), trang: int = Form(1)
) -> Response:
    c = await caller(request)
    _check_csrf(c, csrf)
    check(c.who, Perm.broadcast)
    if what not in ("nhac", "da-goi"):
        raise BadRequest("unknown action")
    st = state(request)
    now = st.reports.clock()
    async with st.sessions() as session, session.begin():
        if what == "nhac":
            quiet = parse_quiet_hours(st.settings.quiet_hours)
            outcome = await stalled.nudge(session, c.who, learner_id, st.catalog, now, st.tz, quiet)
        else:
            outcome = await stalled.mark_called(session, c.who, learner_id, now)
        learner = await session.get(Learner, learner_id)
        name = learner.display_name if learner and outcome != stalled.Outcome.not_found else None
    if outcome == stalled.Outcome.not_found:
        raise Forbidden(Perm.broadcast.value)
    return await stalled_page(request, trang=trang, msg=stalled.describe(outcome, name))
