"""What a flow sees: the learner (locked), the repository, the curriculum, the input."""

import random
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.actions import Action
from bot.flows.states import State
from bot.messages import Inbound
from lessons.loader import Catalog
from storage.models import Learner, stored_id
from storage.repository import Repository


@dataclass
class Context:
    inbound: Inbound
    learner: Learner
    repo: Repository
    catalog: Catalog
    now: datetime
    tz: ZoneInfo
    rng: random.Random
    quiet: tuple[time, time] = (time(21, 30), time(7, 0))  # no reminders in this span
    text: str = ""  # cleaned text ("" for a button press)
    action: Action | None = None

    def goto(self, state: State, **data) -> None:
        self.learner.state = state
        self.learner.state_data = data

    @property
    def learner_id(self) -> int:
        """The engine runs flows on a stored learner: its id is set."""
        return stored_id(self.learner)

    @property
    def args(self) -> tuple[str, ...]:
        """The arguments of the action at hand: its handlers run only with one."""
        assert self.action is not None
        return self.action.args

    @property
    def data(self) -> dict:
        return self.learner.state_data or {}

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    @property
    def actor(self) -> str:
        return f"learner:{self.learner.pid}"
