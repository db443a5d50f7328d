"""The shape of module and lesson files (pydantic), with per-field limits."""

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    field_validator,
    model_validator,
)

from lessons import limits as L

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    text: Annotated[Text, StringConstraints(max_length=L.OPTION_MAX_CHARS)]
    correct: bool = False


class Question(_Strict):
    id: Annotated[str, StringConstraints(pattern=L.QUESTION_ID_PATTERN)]
    question: Annotated[Text, StringConstraints(max_length=L.QUESTION_MAX_CHARS)]
    options: list[Option] = Field(min_length=L.OPTIONS_MIN, max_length=L.OPTIONS_MAX)
    explanation: Annotated[Text, StringConstraints(max_length=L.EXPLANATION_MAX_CHARS)]

    @model_validator(mode="after")
    def _one_correct(self) -> "Question":
        n = sum(o.correct for o in self.options)
        if n != 1:
            raise ValueError(f"exactly one option must be correct: true (found {n})")
        texts = [o.text.casefold() for o in self.options]
        if len(set(texts)) != len(texts):
            raise ValueError("two options have the same text")
        return self

    @property
    def correct_index(self) -> int:
        return next(i for i, o in enumerate(self.options) if o.correct)


class Source(_Strict):
    title: Text
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class Practice(_Strict):
    """A writing exercise: the learner writes a prompt for the task and gets feedback."""

    task: Annotated[Text, StringConstraints(max_length=L.PRACTICE_MAX_CHARS)]
    example: Annotated[Text, StringConstraints(max_length=L.PRACTICE_MAX_CHARS)]


class Lesson(_Strict):
    id: Annotated[str, StringConstraints(pattern=L.LESSON_ID_PATTERN)]
    title: Annotated[Text, StringConstraints(max_length=L.TITLE_MAX_CHARS)]
    minutes: int = Field(ge=L.MINUTES_MIN, le=L.MINUTES_MAX)
    cards: list[Annotated[Text, StringConstraints(max_length=L.CARD_MAX_CHARS)]] = Field(
        min_length=L.CARDS_MIN, max_length=L.CARDS_MAX
    )
    quiz: list[Question] = Field(min_length=L.QUIZ_MIN, max_length=L.QUIZ_MAX)
    sources: list[Source] = Field(default_factory=list)
    practice: Practice | None = None

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.quiz if q.id == qid), None)


class Module(_Strict):
    id: Annotated[str, StringConstraints(pattern=L.MODULE_ID_PATTERN)]
    title: Annotated[Text, StringConstraints(max_length=L.TITLE_MAX_CHARS)]
    order: int = Field(ge=0)
    groups: list[str] = Field(min_length=1)
    summary: Annotated[str, StringConstraints(max_length=L.SUMMARY_MAX_CHARS)] = ""
    lessons: list[str] = Field(min_length=1)

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, groups: list[str]) -> list[str]:
        known = set(L.LEARNER_GROUPS) | {L.ALL_GROUPS}
        bad = [g for g in groups if g not in known]
        if bad:
            raise ValueError(
                f"unknown learner group {', '.join(bad)}; use all or {', '.join(L.LEARNER_GROUPS)}"
            )
        return groups

    def is_for(self, group: str | None) -> bool:
        return L.ALL_GROUPS in self.groups or (group is not None and group in self.groups)


class ExamBank(RootModel[dict[str, list[Question]]]):
    """A module's final-assessment bank (exam.yaml): lesson id -> questions that no lesson
    quiz shows, in the quiz's Question shape."""

    model_config = ConfigDict(frozen=True)


class Term(_Strict):
    """One entry of the glossary ("Từ điển AI")."""

    term: Annotated[Text, StringConstraints(max_length=L.TITLE_MAX_CHARS)]
    aliases: list[Text] = Field(default_factory=list)
    definition: Annotated[Text, StringConstraints(max_length=L.GLOSSARY_DEFINITION_MAX_CHARS)]


class FaqEntry(_Strict):
    """One entry of lessons/content/faq.yaml: ways learners ask it, the answer, the lesson."""

    questions: list[Annotated[Text, StringConstraints(max_length=L.FAQ_QUESTION_MAX_CHARS)]] = (
        Field(min_length=1)
    )
    answer: Annotated[Text, StringConstraints(max_length=L.FAQ_ANSWER_MAX_CHARS)]
    lesson: Annotated[str, StringConstraints(pattern=L.LESSON_ID_PATTERN)]
