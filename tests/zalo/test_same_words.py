"""One dialogue through the console, Telegram, Zalo and Zalo OA adapters: at every step
the learner reads the same words on each; only the way of choosing differs (buttons on
Telegram and the Zalo OA, numbers typed on Zalo and in the console)."""

import io
import random
import re

import httpx

from bot.channels import console
from bot.channels.telegram.service import TelegramService
from bot.channels.zalo.service import ZaloService
from bot.channels.zalo_oa.service import ZaloOAService
from bot.config import Settings
from bot.engine import Engine
from bot.web.app import create_app
from lessons.limits import QUIZ_DRAW
from tests.standins.telegram_api import TOKEN as TG_TOKEN
from tests.telegram.tg import TgChat
from tests.telegram.tg import webhook_delivery as tg_delivery
from tests.zalo.conftest import FAST, SECRET, make_settings
from tests.zalo.zl import ZaloLearner, webhook_delivery
from tests.zalo_oa.conftest import FAST as OA_FAST
from tests.zalo_oa.conftest import connect as oa_connect
from tests.zalo_oa.conftest import make_settings as oa_settings
from tests.zalo_oa.oa import OALearner

TG_SECRET = "tg-test-secret_0123456789"
NUMBERED = re.compile(r"^\d+\. ")
SEED = 7  # each channel's tutor draws the same questions in the same order


def script(catalog) -> list[tuple[str, object]]:
    cards = len(catalog.lessons["m1-1"].cards)
    return [
        ("say", "/start"),
        ("pick", "Đồng ý"),
        ("pick", "Người dân"),
        ("say", "tan cuong"),
        ("pick", "Xã Tân Cương"),
        ("pick", "Bỏ qua"),
        ("pick", "Học ngay"),
        *[("pick", "Tiếp")] * (cards - 1),
        ("pick", "Làm câu hỏi"),
        *[("answer", i != 1) for i in range(QUIZ_DRAW)],  # the second one wrong
        ("pick", "Xem tiến độ"),
        ("say", "AI là gì"),
    ]


def words(texts: list[str]) -> set[str]:
    """The paragraphs a learner reads, without how choices are shown: numbered lists and
    the hint (Zalo, console), "Bạn chọn: X" and "Mời bạn chọn:" (Telegram)."""
    lines = "\n\n".join(texts).splitlines()
    kept = "\n".join(ln for ln in lines if not ln.startswith(("Bạn chọn: ", "Mời bạn chọn:")))
    paragraphs = [p.strip() for p in kept.split("\n\n") if p.strip()]
    return {
        p
        for p in paragraphs
        if not p.startswith("Trả lời ") and not all(NUMBERED.match(ln) for ln in p.splitlines())
    }


def right_letter(text: str, catalog, right: bool) -> str:
    questions = [q for lesson in catalog.lessons.values() for q in lesson.quiz]
    question = max((q for q in questions if q.question in text), key=lambda q: len(q.question))
    wanted = question.options[question.correct_index].text
    for line in text.splitlines():
        letter, _, option = line.partition(". ")
        if len(letter) == 1 and (option == wanted) == right:
            return letter
    raise AssertionError(f"option not found in:\n{text}")


class ScriptedInput(io.StringIO):
    """The console's stdin: each line is worked out from what the console printed so far,
    as a person at the terminal would."""

    def __init__(self, steps, out: io.StringIO, catalog):
        super().__init__()
        self.steps, self.out, self.catalog = iter(steps), out, catalog

    def readline(self, *_args) -> str:
        step = next(self.steps, None)
        if step is None:
            return ""
        screen = self.out.getvalue().split("\n> ")[-1]
        kind, arg = step
        if kind == "say":
            return f"{arg}\n"
        if kind == "answer":
            return right_letter(screen, self.catalog, arg) + "\n"
        listed = [p for p in screen.strip().split("\n\n") if NUMBERED.match(p)]
        for line in listed[-1].splitlines():
            number, _, label = line.partition(". ")
            if label.startswith(arg):
                return f"{number}\n"
        raise AssertionError(f"no option {arg!r} in:\n{screen}")


async def run_console(tutor: Engine, steps, catalog) -> list[set[str]]:
    out = io.StringIO()
    inp = ScriptedInput(steps[1:], out, catalog)  # the console says /start itself
    await console.run(tutor, user_id="c-1", display_name="Lan", inp=inp, out=out)
    screens = out.getvalue().split("\n> ")
    return [words([s if i == 0 else s.split("\n", 1)[1]]) for i, s in enumerate(screens)]


async def run_telegram(learner: TgChat, steps) -> list[set[str]]:
    seen = []
    for kind, arg in steps:
        if kind == "say":
            await learner.say(arg)
        elif kind == "pick":
            await learner.press(arg)
        else:
            await learner.answer(right=arg)
        shown = [
            c.params["text"]
            for c in learner.calls
            if c.method in ("sendMessage", "editMessageText") and c.ok
        ]
        seen.append(words(shown))
    return seen


async def run_zalo(learner: ZaloLearner, steps, catalog) -> list[set[str]]:
    seen = []
    for kind, arg in steps:
        if kind == "say":
            await learner.say(arg)
        elif kind == "pick":
            await learner.choose(arg)
        else:
            await learner.answer(right=arg)
        seen.append(words(learner.sent))
    return seen


async def run_oa(learner: OALearner, steps) -> list[set[str]]:
    seen = []
    for kind, arg in steps:
        if kind == "say":
            await learner.say(arg)
        elif kind == "pick":
            await learner.tap(arg)
        else:
            await learner.answer(right=arg)
        seen.append(words(learner.sent))
    return seen


async def test_console_telegram_zalo_and_the_oa_show_the_same_words(
    sessions, catalog, telegram_api, zalo_api, zalo_oa_api
):
    steps = script(catalog)
    tg_api, oa_api = telegram_api, zalo_oa_api
    tg_settings = Settings(
        _env_file=None,
        telegram_bot_token=TG_TOKEN,
        telegram_api_base=tg_api.url,
        telegram_mode="webhook",
        telegram_webhook_secret=TG_SECRET,
    )
    tg = TelegramService(tg_settings, Engine(sessions, catalog, rng=random.Random(SEED)))
    zalo = ZaloService(
        make_settings(zalo_api), Engine(sessions, catalog, rng=random.Random(SEED)), retry=FAST
    )
    oa = ZaloOAService(
        oa_settings(oa_api), Engine(sessions, catalog, rng=random.Random(SEED)), retry=OA_FAST
    )
    try:
        await oa_connect(oa, oa_api)
        await tg.start()
        await zalo.start()
        await oa.start()
        transport = httpx.ASGITransport(app=create_app([tg, zalo, oa]))
        async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
            tg_seen = await run_telegram(TgChat(tg_api, tg_delivery(c, TG_SECRET), catalog), steps)
            zalo_learner = ZaloLearner(zalo_api, webhook_delivery(c, SECRET), catalog)
            zalo_seen = await run_zalo(zalo_learner, steps, catalog)
            oa_seen = await run_oa(OALearner(oa_api, c, catalog), steps)
        console_tutor = Engine(sessions, catalog, rng=random.Random(SEED))
        console_seen = await run_console(console_tutor, steps, catalog)
    finally:
        await tg.stop()
        await zalo.stop()
        await oa.stop()

    assert len(console_seen) == len(tg_seen) == len(zalo_seen) == len(oa_seen) == len(steps)
    earlier: set[str] = set()
    for step, con, tel, zal, zoa in zip(
        steps, console_seen, tg_seen, zalo_seen, oa_seen, strict=True
    ):
        assert zal, f"nothing shown on Zalo at {step}"
        assert zal == con, f"{step}: Zalo and console differ:\n{zal ^ con}"
        assert zoa == con, f"{step}: Zalo OA and console differ:\n{zoa ^ con}"
        # Telegram also shows the answered question again (edited with the verdict).
        assert zal <= tel and tel - zal <= earlier, f"{step}: Telegram differs:\n{zal ^ tel}"
        earlier |= zal
    assert any("Đúng rồi" in p for step in zalo_seen for p in step)
    assert any("Chưa đúng" in p for step in zalo_seen for p in step)
    assert zalo_api.refused() == [] and tg_api.refused() == [] and oa_api.refused() == []
    assert all(c.ok for c in oa_api.calls)
