"""Messages several flows share: the main menu, help, friendly refusals."""

from bot import actions as A
from bot.flows.texts import common as shared
from bot.messages import Choice, Outbound

MENU_CHOICES = (
    Choice(shared.CONTINUE, A.CONTINUE),
    Choice(shared.CHOOSE_LESSON, A.LIST),
    Choice(shared.PROGRESS, A.PROGRESS),
    Choice(shared.ASK, A.ASK),
    Choice(shared.GLOSSARY, A.GLOSSARY),
    Choice(shared.REMIND, A.REMIND),
    Choice(shared.HELP, A.HELP),
)
TO_MENU = Choice(shared.TO_MENU, A.MENU)


def menu(text: str = shared.MENU_PROMPT) -> Outbound:
    return Outbound(text, MENU_CHOICES)


def help_message() -> Outbound:
    return Outbound(shared.HELP_TEXT, (Choice(shared.MY_DATA, A.MYDATA), TO_MENU))


STALE = Outbound(shared.STALE_STEP)
# kind "notice": a reply about the message itself; the choices offered before still hold.
EMPTY = Outbound(shared.EMPTY, kind="notice")
ERROR = Outbound(shared.ERROR)


def too_long(limit: int) -> Outbound:
    return Outbound(shared.too_long(limit), kind="notice")
