"""What flows between a channel and the engine. The engine knows no channel."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inbound:
    """One thing a person did: typed text or pressed a button (action)."""

    channel: str  # "telegram" | "zalo" | "console"
    user_id: str  # the channel's id of the chat/user
    text: str | None = None
    action: str | None = None  # a button payload the engine produced earlier
    update_id: str | None = None  # the channel's update id, for de-duplication
    # None: the id is unique for good. Seconds: a content hash standing in for a missing
    # id, a duplicate only within this window (the same words may be sent again later).
    update_window: float | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Choice:
    label: str
    action: str
    typed: str = ""  # more text that picks it when typed (a quiz option's own words)


@dataclass(frozen=True)
class Outbound:
    """One message to send. Channels render choices as buttons or numbered lines."""

    text: str
    choices: tuple[Choice, ...] = ()
    # text | quiz (choices are the options) | feedback (the verdict on a quiz answer,
    # which a channel with buttons may show by editing the question) | notice (about the
    # learner's message itself: the choices shown before still hold) | document | image
    kind: str = "text"
    attachment: str | None = None  # file path or URL for document/image
    # The same file at a public URL, for channels that take files by URL only (Zalo)
    public_url: str | None = None
    meta: dict = field(default_factory=dict, compare=False)
