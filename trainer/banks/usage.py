"""Where a question is used and how it performs. Practice answers and exam papers report here once they exist;
until then every count is zero."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass
class Usage:
    answered: int = 0
    correct: int = 0
    exams: int = 0

    @property
    def facility(self) -> float | None:
        """Share answered correctly (None until answered)."""
        return self.correct / self.answered if self.answered else None


# Providers register a function (db, question_ids) -> {question_id: (answered, correct)}.
_ANSWER_PROVIDERS: list = []


def register_answer_provider(fn) -> None:
    if fn not in _ANSWER_PROVIDERS:
        _ANSWER_PROVIDERS.append(fn)


def usage_for(db: Session, question_ids: list[int]) -> dict[int, Usage]:
    out = {qid: Usage() for qid in question_ids}
    for provider in _ANSWER_PROVIDERS:
        for qid, (answered, correct) in provider(db, question_ids).items():
            out[qid].answered += answered
            out[qid].correct += correct
    return out


def answer_count(db: Session, question_id: int) -> int:
    return usage_for(db, [question_id])[question_id].answered
