"""Generate extra practice questions from a law's text: blanks and single choices on numbers with units.

Pure: no Flask, no database. `generate(law, articles, key_prefix=...)` finds every number with a unit
(十五日, 三个工作日, 六个月, 二年, 二百元, 两人, 一倍, 百分之三, ...) in the articles and builds, for each one,
a 填空 question (the number replaced by "____") and a 单选 question (the number replaced by "（　）", the
right amount among three distractors of the same unit). The questions are drafts: the caller marks them
as generated, and they are used in practice only unless a person promotes them.

Number recognition is the one the bank validator uses (trainer.banks.numbers), so every generated
question passes `validate_bank` against the same articles.
"""
from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from trainer.banks.bankfile import Citation, QuestionSpec
from trainer.banks.numbers import (  # the validator's own number recognition, reused on purpose
    DATE_RE,
    FULL_WIDTH,
    MENTION_RE,
    UNITS,
    numeral_value,
)
from trainer.laws.parser import int_to_cn_numeral, split_paragraphs

__all__ = ["MAX_SENTENCE", "generate"]

MAX_SENTENCE = 120                       # characters of law text in a stem (without the prefix)
BLANK, CHOICE = "____", "（　）"
DIFFICULTY = 2
STATUS = "draft"
_TIME_UNITS = {"日", "工作日", "个月", "年", "小时"}
_TAGS = {"元": "金额", "人": "人数", "%": "比例", "倍": "比例"}
_KEY_PREFIX_RE = re.compile(r"[a-z]+")
_SENTENCE_RE = re.compile(r"[^。；]+[。；]?")
_CLAUSE_RE = re.compile(r"[^，。；：]+[，。；：]?")
_ITEM_LABEL_RE = re.compile(r"^[（(][零〇一二两三四五六七八九十百0-9]+[）)]")
# standard ladders for deriving distractors when the law has fewer than three other values of a unit
_LADDERS: dict[str, tuple[int, ...]] = {
    "日": (1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 180),
    "工作日": (1, 2, 3, 5, 7, 10, 15, 20, 30),
    "个月": (1, 2, 3, 6, 9, 12, 18, 24, 36),
    "年": (1, 2, 3, 5, 10, 15, 20, 30),
    "小时": (1, 2, 4, 6, 8, 12, 24, 48, 72),
    "元": (10, 20, 50, 100, 200, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000, 100000, 200000,
          500000, 1000000),
    "人": (1, 2, 3, 5, 7, 9, 11, 15, 21),
    "倍": (1, 2, 3, 5, 10),
    "%": (1, 2, 3, 5, 10, 20, 30, 50),
}


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    surface: str                 # as written in the law: "二百元"
    numeral: str                 # "二百"
    value: int | float           # 200
    unit: str                    # "元" (the validator's unit: 日, 工作日, 个月, 年, 元, 人, %, 倍, 小时)


def _tokens(text: str) -> list[_Token]:
    """Numbers with units in the text, with positions; dates, ordinals (第三人) and 年度 are skipped."""
    masked = DATE_RE.sub(lambda m: "　" * len(m.group(0)), text.translate(FULL_WIDTH))
    out = []
    for m in MENTION_RE.finditer(masked):
        group = "pct" if m.group("pct") else "num"
        value = numeral_value(m.group(group))
        unit = "%" if group == "pct" else "工作日" if m.group("workday") else UNITS[m.group("unit")]
        if value is None or value <= 0 or (unit == "年" and text[m.end():m.end() + 1] == "度"):  # 上一年度
            continue
        out.append(_Token(m.start(), m.end(), text[m.start():m.end()], text[m.start(group):m.end(group)],
                          value, unit))
    return out


def _trim(sentence: str, start: int, end: int) -> tuple[str, int]:
    """Cut a long sentence down to ≤ MAX_SENTENCE characters of whole clauses around [start, end).
    Returns the text and the offset of its first character in the sentence."""
    if len(sentence) <= MAX_SENTENCE:
        return sentence, 0
    spans = [m.span() for m in _CLAUSE_RE.finditer(sentence)]
    i = j = next(k for k, (a, b) in enumerate(spans) if a <= start < b)
    while True:
        grown = False
        for ni, nj in ((i, j + 1), (i - 1, j)):
            if 0 <= ni and nj < len(spans) and spans[nj][1] - spans[ni][0] <= MAX_SENTENCE:
                i, j, grown = ni, nj, True
        if not grown:
            break
    a, b = spans[i][0], spans[j][1]
    if end > b:                                   # one clause longer than the limit: keep it whole
        b = end
    return sentence[a:b], a


def _close(text: str) -> str:
    """End a cut-out sentence with 。 instead of ，；： (or nothing)."""
    return text[:-1] + "。" if text[-1:] in "，；：,;:" else text if text.endswith("。") else text + "。"


def _contexts(text: str) -> Iterable[tuple[int | None, str, _Token]]:
    """(款 number, sentence with the token, token re-based on the sentence) for every number with a
    unit in an article. An item (项) is preceded by its paragraph's lead-in ("……采取下列措施：") when
    the whole stays within MAX_SENTENCE."""
    paragraph: int | None = None
    lead = ""
    for kind, number, line in split_paragraphs(text):
        if kind == "paragraph":
            paragraph = number
        for sm in _SENTENCE_RE.finditer(line):
            sentence = sm.group(0).strip()
            for tok in _tokens(sentence):
                ctx, offset = _trim(sentence, tok.start, tok.end)
                if kind == "item" and lead and len(lead) + len(ctx) <= MAX_SENTENCE:
                    ctx, offset = lead + ctx, offset - len(lead)
                yield paragraph, ctx, replace(tok, start=tok.start - offset, end=tok.end - offset)
        if kind == "paragraph":
            last = _SENTENCE_RE.findall(line)
            lead = last[-1].strip() if last and line.endswith(("：", ":")) else ""


def _format(value: int | float, unit: str, arabic: bool) -> str:
    """A value written as the law writes it: 十五日, 三个工作日, 六个月, 二百元, 两人, 百分之三 (or 200元, 3%)."""
    if arabic or not float(value).is_integer():
        num = str(int(value) if float(value).is_integer() else value)
        return f"{num}%" if unit == "%" else num + ("个工作日" if unit == "工作日" else unit)
    value = int(value)
    num = "两" if value == 2 and unit in ("人", "个月") else int_to_cn_numeral(value)
    if unit == "%":
        return f"百分之{num}"
    return num + ("个工作日" if unit == "工作日" else unit)


def _variants(tok: _Token) -> tuple[str, ...]:
    """Accepted blank answers: the canonical form as in the text, then the other numeral style."""
    rest = "" if tok.unit == "%" else tok.surface[len(tok.numeral):]
    is_arabic = tok.numeral[:1].isdigit()
    out = [tok.surface]
    if tok.unit == "%":
        out.append(_format(tok.value, "%", arabic=not is_arabic))
    elif is_arabic and float(tok.value).is_integer():
        out.append(int_to_cn_numeral(int(tok.value)) + rest)
    elif not is_arabic:
        out.append(f"{tok.value}{rest}")
        if tok.value >= 10000 and tok.value % 10000 == 0:
            out.append(f"{int(tok.value) // 10000}万{rest}")
    return tuple(dict.fromkeys(out))


def _distractors(tok: _Token, pool: dict[tuple[int | float, str], str], stem: str) -> list[str]:
    """Three wrong amounts of the same unit: the closest other values the law uses, then values derived
    from a standard ladder (one and two steps away), ×2 and ÷2. Values written in the stem are avoided."""
    arabic = tok.numeral[:1].isdigit()
    shown = {t.value for t in _tokens(stem) if t.unit == tok.unit}
    same = sorted((v for v, u in pool if u == tok.unit and v != tok.value and v not in shown),
                  key=lambda v: (abs(math.log(v / tok.value)), v))
    chosen = [pool[(v, tok.unit)] for v in same[:3]]
    values = {tok.value, *shown, *same[:3]}
    ladder = _LADDERS[tok.unit]
    below = [v for v in ladder if v < tok.value][::-1]
    above = [v for v in ladder if v > tok.value]
    derived = below[:1] + above[:1] + below[1:2] + above[1:2] + [tok.value * 2, tok.value / 2]
    derived += sorted(below[2:] + above[2:], key=lambda v: (abs(math.log(v / tok.value)), v))
    derived += [tok.value * k for k in range(3, 12)]
    for v in derived:
        if len(chosen) >= 3:
            break
        if not float(v).is_integer():
            continue
        v = int(v)
        if v > 0 and v not in values:
            text = _format(v, tok.unit, arabic)
            if text not in chosen and text != tok.surface:
                values.add(v)
                chosen.append(text)
    return chosen


def _tags(unit: str) -> tuple[str, ...]:
    return ("期限",) if unit in _TIME_UNITS else (_TAGS[unit],)


def generate(law: str, articles: list[tuple[int, str]], *, key_prefix: str, limit: int | None = None,
             seed: int = 0) -> list[QuestionSpec]:
    """Draft blank and single-choice questions on the numbers with units in a law's articles.

    ``articles`` are (number, text) with 款/项 lines separated by "\\n"; ``law`` is the short title used
    in stems and citations; keys are ``f"{key_prefix}-{n:04d}"``. Same input, same output.
    """
    if not _KEY_PREFIX_RE.fullmatch(key_prefix):
        raise ValueError(f"key_prefix must be lowercase letters, not {key_prefix!r}")
    pool: dict[tuple[int | float, str], str] = {}
    for _, text in articles:
        for _, _, tok in _contexts(text):
            pool.setdefault((tok.value, tok.unit), tok.surface)
    questions: list[QuestionSpec] = []
    seen: set[str] = set()

    def add(**fields) -> bool:
        if fields["stem"] in seen:
            return True
        if limit is not None and len(questions) >= limit:
            return False
        seen.add(fields["stem"])
        questions.append(QuestionSpec(key=f"{key_prefix}-{len(questions) + 1:04d}", **fields,
                                      difficulty=DIFFICULTY, references=(), status=STATUS))
        return True

    for number, text in articles:
        cn = int_to_cn_numeral(number)
        prefix = f"《{law}》第{cn}条规定："
        for paragraph, ctx, tok in _contexts(text):
            if sum(1 for other in _tokens(ctx) if other.surface == tok.surface) > 1:
                continue                                  # the same amount twice: the blank is ambiguous
            head, tail = ctx[:tok.start], _close(ctx[tok.end:])
            common = dict(explanation=f"依据《{law}》第{cn}条：{_close(ctx)}",
                          citations=(Citation(law, number, paragraph),), tags=_tags(tok.unit))
            if not add(type="blank", stem=prefix + head + BLANK + tail, options=(),
                       answer=(_variants(tok),), **common):
                return questions
            stem = prefix + head + CHOICE + tail
            options = [tok.surface, *_distractors(tok, pool, stem)]
            random.Random(f"{seed}:{stem}").shuffle(options)
            if not add(type="single", stem=stem, options=tuple(options),
                       answer="ABCDEFGH"[options.index(tok.surface)], **common):
                return questions
    return questions
