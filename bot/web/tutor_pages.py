"""Dashboard page «Câu hỏi chưa trả lời được» (/quan-tri/cau-hoi): the questions the tutor
could not answer offline ("not found", or only "did you mean"), and answers marked 👎,
counted by week with a few examples, so that content staff know which lessons or FAQ
entries (lessons/content/faq.yaml) to write next.

Learners' questions come from the whole province, so the page is for admins and staff
with a province scope (Perm.questions in bot/admin/roles.py). Examples are shown with long
numbers and e-mail addresses masked: a question may carry a phone or an account number.
"""

import re
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.roles import Perm, check
from bot.web.admin_common import state
from bot.web.dashboard import caller, page
from storage.models import TutorAnswer
from storage.types import utcnow

router = APIRouter(include_in_schema=False)
WEEKS = 12  # how far back the page looks
EXAMPLES = 3  # per week
UNANSWERED = ("unknown", "choices")  # "not found", "did you mean"
_NUMBER = re.compile(r"\d[\d .-]{4,}\d")
_EMAIL = re.compile(r"\S+@\S+")


def mask(text: str) -> str:
    """A question as staff may read it: long numbers and e-mail addresses hidden."""
    text = _EMAIL.sub("[email]", _NUMBER.sub("[số]", text))
    return text if len(text) <= 200 else text[:199] + "…"


async def unanswered_by_week(
    sessions: async_sessionmaker[AsyncSession], tz: ZoneInfo, now: datetime
) -> list[dict]:
    """One row per ISO week (newest first): not found, did you mean, 👎, examples."""
    since = now - timedelta(weeks=WEEKS)
    query = (
        select(
            TutorAnswer.created_at, TutorAnswer.category, TutorAnswer.question, TutorAnswer.feedback
        )
        .where(
            TutorAnswer.kind == "ask",
            TutorAnswer.created_at >= since,
            or_(
                (TutorAnswer.source == "offline") & TutorAnswer.category.in_(UNANSWERED),
                TutorAnswer.feedback == -1,
            ),
        )
        .order_by(TutorAnswer.created_at.desc())
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    weeks: dict[tuple, dict] = defaultdict(
        lambda: {"not_found": 0, "unsure": 0, "thumbs_down": 0, "examples": []}
    )
    for created, category, question, feedback in rows:
        local = created.astimezone(tz) if created.tzinfo else created
        year, week, _ = local.isocalendar()
        w = weeks[(year, week)]
        if w.get("start") is None:
            monday = (local - timedelta(days=local.weekday())).date()
            w["start"], w["label"] = monday, f"Tuần {week}/{year}"
        if feedback == -1 and category not in UNANSWERED:
            w["thumbs_down"] += 1
        elif category == "unknown":
            w["not_found"] += 1
        else:
            w["unsure"] += 1
        shown = mask(question)
        if len(w["examples"]) < EXAMPLES and shown not in w["examples"]:
            w["examples"].append(shown)
    out = [dict(v, total=v["not_found"] + v["unsure"] + v["thumbs_down"]) for v in weeks.values()]
    return sorted(out, key=lambda w: w["start"], reverse=True)


@router.get("/quan-tri/cau-hoi", response_class=HTMLResponse)
async def unanswered_page(request: Request) -> Response:
    c = await caller(request)
    check(c.who, Perm.questions)
    st = state(request)
    weeks = await unanswered_by_week(st.sessions, st.tz, utcnow())
    return await page(request, c, "questions.html", "questions", weeks=weeks, span=WEEKS)
