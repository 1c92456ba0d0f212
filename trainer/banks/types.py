"""Question types: a registry of small classes, one per type (single, multiple, judge, blank, case).

Pure: no Flask, no database. Each type knows the template macro that renders its input, how to
normalise a raw response (from a form or JSON) into the stored form, and how to grade it against the
canonical answer (the form `trainer.banks.bankfile` produces):

    type      answer                      response (after normalise)
    single    "B"                         "B"
    multiple  "ABD"                       "AB"     (sorted, unique)
    judge     True / False                True / False
    blank     (("二百元", "200元"), ...)   ("200元", ...)   (one string per blank)
    case      reference answer text       free text        (graded by a person)

Options may be shown shuffled: `shuffle_options` gives a deterministic permutation per seed and the
two mapping helpers translate letters between the displayed and the canonical order.
"""
from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "LETTERS", "PARTIAL_FRACTION", "POLICIES", "REGISTRY", "QuestionType", "ResponseError",
    "canonical_to_display", "display_to_canonical", "get_type", "shuffle_options",
]

LETTERS = "ABCDEFGH"
MAX_OPTIONS = len(LETTERS)
PARTIAL_FRACTION = 0.5          # 少选得分: share of the points for a strict subset of the correct letters
POLICIES = ("all_or_nothing", "partial")
MAX_BLANK_CHARS = 200
MAX_CASE_CHARS = 5000

_LETTER_SEPARATORS = re.compile(r"[\s,，、;；]+")
# full-width digits and Latin letters -> half-width; full-width space -> space
_HALF_WIDTH = {**{0xFF10 + i: 0x30 + i for i in range(10)},
               **{0xFF21 + i: 0x41 + i for i in range(26)},
               **{0xFF41 + i: 0x61 + i for i in range(26)},
               0x3000: 0x20}
_SPACES = re.compile(r"\s+")
_TRAILING_PUNCTUATION = "。．.，,；;、！!？?：:…"


class ResponseError(ValueError):
    """A malformed response; the message is in Simplified Chinese and can be shown to the user."""


def _letters(raw: Any) -> list[str]:
    """Letters from "ABD", "A,B,D", "a、b", ["A", "B"]; raises ResponseError for anything else."""
    if isinstance(raw, str):
        text = _LETTER_SEPARATORS.sub("", raw).translate(_HALF_WIDTH).upper()
        return list(text)
    if isinstance(raw, (list, tuple)):
        out: list[str] = []
        for item in raw:
            if not isinstance(item, str):
                raise ResponseError("选项格式不正确")
            out.extend(_letters(item))
        return out
    raise ResponseError("选项格式不正确")


def _check_letters(letters: Iterable[str], option_count: int | None) -> None:
    allowed = LETTERS[:option_count or MAX_OPTIONS]
    for letter in letters:
        if letter not in allowed:
            raise ResponseError(f"选项“{letter}”不存在")


def blank_key(text: str) -> str:
    """Comparison form of a blank: full/half width folded, case folded, no spaces, no trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub("", folded).rstrip(_TRAILING_PUNCTUATION)


class QuestionType:
    """Base class; subclasses set the class attributes and implement normalise / grade."""

    code: str = ""
    label: str = ""
    auto_graded: bool = True
    has_options: bool = False
    template: str = ""          # name of the macro in templates/_macros that renders the input

    def normalise(self, raw: Any, *, option_count: int | None = None, blank_count: int | None = None) -> Any:
        """The stored form of a raw response; raises ResponseError for malformed input."""
        raise NotImplementedError

    def grade(self, answer: Any, response: Any, points: float, policy: str = "all_or_nothing") -> float | None:
        """Points earned (0..points), or None when a person has to grade. A None response earns 0."""
        raise NotImplementedError

    def describe(self, answer: Any) -> str:
        """The answer as shown to people (解析, reports)."""
        return str(answer)

    def __repr__(self) -> str:
        return f"<QuestionType {self.code}>"


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise ValueError(f"unknown grading policy: {policy!r}")


class SingleChoice(QuestionType):
    code, label, template, has_options = "single", "单选", "single", True

    def normalise(self, raw, *, option_count=None, blank_count=None):
        if isinstance(raw, (list, tuple)) and len(raw) == 1:
            raw = raw[0]
        if not isinstance(raw, str) or not raw.strip():
            raise ResponseError("请选择一个选项")
        letters = _letters(raw)
        if len(letters) != 1:
            raise ResponseError("单选题只能选择一个选项")
        _check_letters(letters, option_count)
        return letters[0]

    def grade(self, answer, response, points, policy="all_or_nothing"):
        _check_policy(policy)
        return float(points) if response is not None and response == answer else 0.0


class MultipleChoice(QuestionType):
    code, label, template, has_options = "multiple", "多选", "multiple", True

    def normalise(self, raw, *, option_count=None, blank_count=None):
        letters = _letters(raw)
        if not letters:
            raise ResponseError("请至少选择一个选项")
        _check_letters(letters, option_count)
        return "".join(sorted(set(letters)))

    def grade(self, answer, response, points, policy="all_or_nothing"):
        _check_policy(policy)
        if not response:
            return 0.0
        correct, chosen = set(answer), set(response)
        if chosen == correct:
            return float(points)
        if policy == "partial" and chosen < correct:
            return float(points) * PARTIAL_FRACTION
        return 0.0

    def describe(self, answer):
        return "".join(answer)


class Judge(QuestionType):
    code, label, template = "judge", "判断", "judge"

    _TRUE = ("true", "正确", "对")
    _FALSE = ("false", "错误", "错")

    def normalise(self, raw, *, option_count=None, blank_count=None):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            text = raw.strip().lower()
            if text in self._TRUE:
                return True
            if text in self._FALSE:
                return False
        raise ResponseError("请选择“正确”或“错误”")

    def grade(self, answer, response, points, policy="all_or_nothing"):
        _check_policy(policy)
        return float(points) if isinstance(response, bool) and response == answer else 0.0

    def describe(self, answer):
        return "正确" if answer else "错误"


class Blank(QuestionType):
    code, label, template = "blank", "填空", "blank"

    def normalise(self, raw, *, option_count=None, blank_count=None):
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, (list, tuple)):
            raise ResponseError("填空答案格式不正确")
        if blank_count is not None and len(raw) != blank_count:
            raise ResponseError(f"本题有 {blank_count} 个空，收到 {len(raw)} 个答案")
        out: list[str] = []
        for i, item in enumerate(raw, 1):
            if item is None:
                item = ""
            if not isinstance(item, str):
                raise ResponseError(f"第 {i} 个空的答案格式不正确")
            text = item.translate(_HALF_WIDTH).strip()
            if len(text) > MAX_BLANK_CHARS:
                raise ResponseError(f"第 {i} 个空最多填写 {MAX_BLANK_CHARS} 个字")
            out.append(text)
        return tuple(out)

    def grade(self, answer, response, points, policy="all_or_nothing"):
        _check_policy(policy)
        if not answer or not response:
            return 0.0
        right = 0
        for i, variants in enumerate(answer):
            if i < len(response) and isinstance(response[i], str) and response[i].strip():
                if blank_key(response[i]) in {blank_key(v) for v in variants}:
                    right += 1
        return float(points) * right / len(answer)

    def describe(self, answer):
        return "；".join(variants[0] for variants in answer)


class Case(QuestionType):
    code, label, template, auto_graded = "case", "案例分析", "case", False

    def normalise(self, raw, *, option_count=None, blank_count=None):
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raise ResponseError("答案格式不正确")
        text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > MAX_CASE_CHARS:
            raise ResponseError(f"答案最多 {MAX_CASE_CHARS} 个字，当前 {len(text)} 个字")
        return text

    def grade(self, answer, response, points, policy="all_or_nothing"):
        return None


REGISTRY: dict[str, QuestionType] = {
    t.code: t for t in (SingleChoice(), MultipleChoice(), Judge(), Blank(), Case())}


def get_type(code: str) -> QuestionType:
    """The registered type for a code; KeyError with a readable message otherwise."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"未知题型：{code}（可用：{'、'.join(REGISTRY)}）") from None


# --------------------------------------------------------------------------- option shuffling

def shuffle_options(n: int, seed: str) -> list[int]:
    """A permutation of range(n), the same for the same seed: perm[display position] = canonical index."""
    if n < 0:
        raise ValueError("n must be >= 0")
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    perm = list(range(n))
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(perm)
    return perm


def _map_letters(letters: str | Sequence[str], mapping: Sequence[int]) -> str:
    out = []
    for letter in _letters(letters):
        index = LETTERS.find(letter)
        if index < 0 or index >= len(mapping):
            raise ValueError(f"letter {letter!r} outside the {len(mapping)} options")
        out.append(LETTERS[mapping[index]])
    return "".join(sorted(out))


def display_to_canonical(letters: str | Sequence[str], perm: Sequence[int]) -> str:
    """Letters the user picked in the displayed order -> letters of the canonical order (sorted)."""
    return _map_letters(letters, perm)


def canonical_to_display(letters: str | Sequence[str], perm: Sequence[int]) -> str:
    """Canonical letters -> the letters under which those options are displayed (sorted)."""
    inverse = [0] * len(perm)
    for display, canonical in enumerate(perm):
        inverse[canonical] = display
    return _map_letters(letters, inverse)
