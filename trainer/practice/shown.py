"""A practice or exam item as its user sees it: options in that user's order, the answer and the response in
displayed form (letters as shown, 正确/错误, blank texts)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from trainer.banks.models import TYPE_LABELS, Question
from trainer.practice.models import PracticeItem


@dataclass
class ShownQuestion:
    """A question as one user sees it in one session: options in that session's order."""
    item: PracticeItem
    question: Question

    @property
    def type(self) -> str:
        return self.question.type

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.question.type, self.question.type)

    @property
    def stem(self) -> str:
        return self.question.stem

    @property
    def option_list(self) -> list[str]:
        options = self.question.option_list
        return [options[i] for i in self.item.order] if self.item.order else options

    @property
    def answer_value(self):
        return self.question.answer_value

    def to_display(self, canonical_letters: str) -> str:
        from trainer.banks.types import canonical_to_display
        return canonical_to_display(canonical_letters, self.item.order) if self.item.order else canonical_letters

    @property
    def correct_display(self) -> str:
        """The correct answer as shown to this user (letters in displayed order, 正确/错误, blank texts)."""
        answer = self.question.answer_value
        if self.type in ("single", "multiple"):
            return "".join(sorted(self.to_display(answer)))
        if self.type == "judge":
            return "正确" if answer else "错误"
        if self.type == "blank":
            return "；".join(v[0] for v in answer)
        return answer

    @property
    def response_display(self) -> str | None:
        if self.item.response is None:
            return None
        value = json.loads(self.item.response)
        if self.type in ("single", "multiple"):
            return "".join(sorted(self.to_display(value))) or "（未选）"
        if self.type == "judge":
            return "正确" if value else "错误"
        if self.type == "blank":
            return "；".join(value)
        return value

    @property
    def response_value(self):
        """The stored response in displayed form, to re-check the inputs on the page."""
        if self.item.response is None:
            return None
        value = json.loads(self.item.response)
        if self.type in ("single", "multiple"):
            return self.to_display(value)
        if self.type == "judge":
            return "true" if value else "false"
        return value


def is_empty_response(raw) -> bool:
    """No answer given: nothing, an empty string, or only empty blanks."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, (list, tuple)):
        return not any(str(x).strip() for x in raw)
    return False
