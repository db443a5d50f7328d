"""Button payloads: short ("verb:arg:arg"), ≤64 bytes, and parsed defensively.

A payload is only a request: the engine checks it against the learner's current
state, so an old or forged one is refused and changes nothing.
"""

from dataclasses import dataclass

MAX_PAYLOAD_BYTES = 64  # Telegram callback_data limit; the tightest of our channels

# Verbs
CONSENT_YES = "c:y"
CONSENT_NO = "c:n"
GROUP = "g"  # g:<group code>
COMMUNE = "cm"  # cm:<commune code>
COMMUNE_RETRY = "cm:again"
UNIT_SKIP = "u:skip"
MENU = "m"
CONTINUE = "n"  # "Học tiếp": resume or start the next lesson
LIST = "ls"  # "Chọn bài": modules
MODULE = "mod"  # mod:<module id>
LESSON = "l"  # l:<lesson id>: open a lesson from its first card
CARD = "t"  # t:<lesson id>:<card index to show>; index == len(cards) starts the quiz
ANSWER = "a"  # a:<lesson id>:<question id>:<option index in the file>
PRACTICE_EXAMPLE = "pe"  # pe:<lesson id>: show the model prompt
MISSED = "ms"  # ms:<lesson id>:<attempt>: the questions missed in that quiz, with answers
EXAM = "x"  # final assessment: "x" opens it; x:<assessment id>:<position>:<option index>
GLOSSARY = "tu"  # "Từ điển AI"
PROGRESS = "p"
ASK = "ask"
REMIND = "r"
REMIND_SET = "rs"  # rs:<HHMM> | rs:off | rs:other
REMIND_DAYS = "rd"  # rd:<ISO weekday digits>
REVIEW = "rv"  # "rv": start the due reviews; rv:<item id>:<option index>: an answer
HELP = "h"
FEEDBACK = "fb"  # fb:<tutor answer id>:u|d  (👍/👎 on an AI tutor answer)
MYDATA = "d"
DELETE_ASK = "d:del"
DELETE_YES = "d:yes"
CERTIFICATE = "cn"  # "cn": send it again; cn:ok accepts the name; cn:pub:0|1 full name public
# Staff broadcasts (bot/flows/broadcast.py): bc:<step>[:<arg>...], e.g. bc:a:c:<commune
# code> picks an audience, bc:go sends, bc:x:<broadcast id> asks to cancel one.
BROADCAST = "bc"


@dataclass(frozen=True)
class Action:
    verb: str
    args: tuple[str, ...]


def make(verb: str, *args: object) -> str:
    payload = ":".join([verb, *map(str, args)])
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"button payload over {MAX_PAYLOAD_BYTES} bytes: {payload!r}")
    return payload


def parse(payload: str | None) -> Action | None:
    """Split a payload; None for anything that is not a well-formed payload."""
    if not payload or len(payload.encode()) > MAX_PAYLOAD_BYTES or not payload.isprintable():
        return None
    verb, *args = payload.split(":")
    if not verb or any(a == "" for a in args):
        return None
    return Action(verb, tuple(args))
