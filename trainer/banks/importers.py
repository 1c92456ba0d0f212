"""Import question banks from Excel / Word files and export them to Excel (pure: no Flask, no database).

Bureaus keep their banks in many layouts; the readers turn them into `QuestionSpec`s (status "draft",
keys ``<prefix>-0001`` …) plus Chinese error messages that name the row or the item:

* `parse_xlsx` (importers_xlsx.py): one row per question with a 题型 column, or one sheet per type;
  header synonyms, several answer spellings, 法律 + 条款 columns for the citations.
* `parse_docx` (importers_docx.py): exam papers with section headings (一、单项选择题…), numbered items,
  options one per line or several per line, answers in the stem's brackets, on 答案 lines or in an
  answer key at the end (per section or continuously numbered).
* `build_template_xlsx` / `export_xlsx`: our template; ``parse_xlsx(export_xlsx(specs))`` round-trips.

Every upload goes through `trainer.uploads.check_upload` first (size, type, zip-bomb checks), which
raises `UploadError`. This module holds what the readers share: the result types, recognising the
question type, normalising answers, blanks, difficulty, tags, citations, and building the spec.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from trainer.banks.bankfile import BLANK_RE, KEY_RE, MAX_OPTIONS, MIN_OPTIONS, Citation, QuestionSpec, ScoringPoint
from trainer.banks.numbers import cn_number
from trainer.banks.types import LETTERS

__all__ = [
    "ImportPreview", "ImportedItem", "MAX_ITEMS", "TYPE_LABELS", "build_template_xlsx", "export_xlsx",
    "make_spec", "parse_citations", "parse_docx", "parse_xlsx", "type_from_text",
]

MAX_ITEMS = 5000                 # questions per uploaded file
DEFAULT_DIFFICULTY = 2           # when the file gives none
TYPE_LABELS = {"single": "单项选择题", "multiple": "多项选择题", "judge": "判断题", "blank": "填空题",
               "case": "案例分析题", "choice": "选择题"}


@dataclass
class ImportedItem:
    ref: str                               # "第5行" / "第3题（单项选择题）"
    spec: QuestionSpec | None              # None when there is any error
    errors: list[str] = field(default_factory=list)   # full messages: "第5行：缺少题干"


@dataclass
class ImportPreview:
    items: list[ImportedItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # file-level errors

    @property
    def ok(self) -> bool:
        return not self.errors and all(not item.errors for item in self.items)

    @property
    def specs(self) -> list[QuestionSpec]:
        return [item.spec for item in self.items if item.spec is not None]

    @property
    def all_errors(self) -> list[str]:
        return self.errors + [e for item in self.items for e in item.errors]


# --------------------------------------------------------------------------- public entry points

def parse_xlsx(data: bytes, key_prefix: str, start: int = 1) -> ImportPreview:
    """Questions from an Excel workbook (raises trainer.uploads.UploadError for a rejected file)."""
    from trainer.banks import importers_xlsx
    return importers_xlsx.parse_xlsx(data, key_prefix, start)


def parse_docx(data: bytes, key_prefix: str, start: int = 1) -> ImportPreview:
    """Questions from a Word exam paper (raises trainer.uploads.UploadError for a rejected file)."""
    from trainer.banks import importers_docx
    return importers_docx.parse_docx(data, key_prefix, start)


def build_template_xlsx() -> bytes:
    """Our Excel template: sheet 试题 with one example per type and sheet 填写说明."""
    from trainer.banks import importers_xlsx
    return importers_xlsx.build_template_xlsx()


def export_xlsx(specs: list[QuestionSpec]) -> bytes:
    """The questions in the template layout (parse_xlsx reads it back)."""
    from trainer.banks import importers_xlsx
    return importers_xlsx.export_xlsx(specs)


# --------------------------------------------------------------------------- small helpers

def check_prefix(key_prefix: str) -> None:
    if not KEY_RE.match(f"{key_prefix}-0000"):
        raise ValueError(f"key_prefix must be lower-case letters, not {key_prefix!r}")


def make_key(key_prefix: str, n: int) -> str:
    return f"{key_prefix}-{n:04d}"


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def clean_text(value: Any) -> str:
    """A cell or line as text: None -> "", 2.0 -> "2", True -> "true"; CRLF folded, stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


_TYPE_WORDS = (  # searched in order, in a heading / cell / sheet name
    ("multiple", ("多项选择", "多选", "multiple", "multi", "多项")),
    ("single", ("单项选择", "单选", "single", "单项")),
    ("choice", ("不定项", "选择")),
    ("judge", ("判断", "是非", "对错", "truefalse", "true_false", "judge")),
    ("blank", ("填空", "blank", "fill")),
    ("case", ("案例", "简答", "论述", "问答", "分析题", "essay", "case")),
)


def type_from_text(text: Any) -> str | None:
    """single/multiple/judge/blank/case (or "choice": single or multiple by the answer) for 单选题, 多项选择,
    判断, 填空题, 案例分析, 简答, 论述, single… ; None when not recognised. Text in brackets is ignored."""
    t = re.split(r"[（(]", nfkc(clean_text(text)))[0]
    t = re.sub(r"\s+", "", t).lower()
    if not t:
        return None
    for code, words in _TYPE_WORDS:
        if any(w in t for w in words):
            return code
    return None


# --------------------------------------------------------------------------- answers

_JUDGE_WORDS = {
    "对": True, "错": False, "正确": True, "错误": False, "√": True, "×": False, "✓": True, "✗": False,
    "✔": True, "✘": False, "╳": False, "x": False, "v": True, "a": True, "b": False, "t": True, "f": False,
    "true": True, "false": False, "1": True, "0": False, "是": True, "否": False, "y": True, "n": False,
    "yes": True, "no": False, "对的": True, "错的": False,
}
JUDGE_MARKS = "√×✓✗✔✘╳"


def judge_value(raw: Any) -> bool | None:
    """True/False for 对/错, 正确/错误, √/×, ✓/✗, A/B (A=对), T/F, true/false, 1/0, 是/否; else None."""
    if isinstance(raw, bool):
        return raw
    text = re.sub(r"[\s（）()【】\[\]。.]", "", nfkc(clean_text(raw))).lower()
    return _JUDGE_WORDS.get(text)


_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/|.．]+")


def answer_letters(raw: Any) -> str | None:
    """"ABD" for ABD, A,B,D, A、B、D, A B D, a b d, "AB D" (order and duplicates kept); None if not letters."""
    text = _LETTER_SEPARATORS.sub("", nfkc(clean_text(raw))).upper()
    return text if text and all(ch in LETTERS for ch in text) else None


_BLANK_MARK = re.compile(r"[（(][ \t\u3000]*_+[ \t\u3000]*[)）]|_{2,}|＿{2,}|[（(][ \t\u3000]*[)）]")


def normalise_blanks(stem: str) -> str:
    """Every blank (____, ___, （ ）, ( ), （　）, （____）) becomes "____"."""
    return _BLANK_MARK.sub("____", stem)


def blank_answer(raw: Any, blanks: int) -> tuple[tuple[str, ...], ...]:
    """Blanks separated by ；/;/|, variants within a blank by / or 或 ("二百元/200元；三千元")."""
    text = clean_text(raw)
    parts = [p.strip() for p in re.split(r"[；;|｜\n]+", text) if p.strip()]
    if len(parts) == 1 and blanks > 1:
        alt = [p.strip() for p in re.split(r"[、，,\s]+", parts[0]) if p.strip()]
        if len(alt) == blanks:
            parts = alt
    out = []
    for part in parts:
        variants = [v.strip() for v in re.split(r"[/／]|或(?!者)", part) if v.strip()]
        out.append(tuple(dict.fromkeys(variants)))
    return tuple(out)


def format_blank_answer(answer: tuple[tuple[str, ...], ...]) -> str:
    return "；".join("/".join(variants) for variants in answer)


_BRACKET_ANSWER = re.compile(
    rf"[（(][ \t\u3000]*((?:[A-Ha-h][ \t\u3000,，、]*)+|[{JUDGE_MARKS}xX]|对|错|正确|错误)[ \t\u3000]*[)）]")


def bracket_answer(stem: str) -> tuple[str, str | None]:
    """(stem, answer) with the last answer in brackets — "（B）", "(B)", "（ AB ）", "（√）", "（对）" —
    replaced by an empty "（ ）"; (stem, None) when there is none."""
    matches = list(_BRACKET_ANSWER.finditer(stem))
    if not matches:
        return stem, None
    m = matches[-1]
    return stem[:m.start()] + "（ ）" + stem[m.end():], m.group(1).strip()


_OPTION_PREFIX = re.compile(r"^\s*(?:[（(]\s*[A-Ha-h]\s*[)）]|[A-Ha-h]\s*[.．、:：)）])\s*")


def strip_option_prefix(text: str) -> str:
    return _OPTION_PREFIX.sub("", text, count=1).strip()


# --------------------------------------------------------------------------- difficulty, tags, scoring

_DIFFICULTY_WORDS = {"简单": 1, "容易": 1, "易": 1, "较易": 1, "低": 1, "中等": 2, "中": 2, "一般": 2,
                     "适中": 2, "困难": 3, "难": 3, "较难": 3, "高": 3}


def parse_difficulty(raw: Any) -> int | None:
    """1–3 from 1/2/3, 简单/中等/困难, 易/中/难; DEFAULT_DIFFICULTY when empty; None when invalid."""
    text = nfkc(clean_text(raw)).replace(" ", "")
    if not text:
        return DEFAULT_DIFFICULTY
    if text in ("1", "2", "3"):
        return int(text)
    return _DIFFICULTY_WORDS.get(text)


def parse_tags(raw: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in re.split(r"[，,、;；\n]+", clean_text(raw)) if t.strip()))


_SCORE = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]\s*[。.；;]?\s*$")


def parse_scoring(raw: Any) -> tuple[tuple[ScoringPoint, ...], list[str]]:
    """"要点（3分）" per line (or separated by ；) -> scoring points; errors for points without a score."""
    text = clean_text(raw)
    lines = text.split("\n") if "\n" in text else re.split(r"[；;]", text)
    points, errors = [], []
    for line in lines:
        line = re.sub(r"^\s*(?:\d+\s*[.．、]|[（(]\s*\d+\s*[)）])\s*", "", line).strip()
        if not line:
            continue
        m = _SCORE.search(line)
        if not m or float(m.group(1)) <= 0:
            errors.append(f"评分要点“{line}”没有分值，应写成“要点（3分）”")
            continue
        points.append(ScoringPoint(point=line[:m.start()].strip(), score=float(m.group(1))))
    return tuple(points), errors


def format_scoring(points: tuple[ScoringPoint, ...]) -> str:
    return "\n".join(f"{p.point}（{p.score:g}分）" for p in points)


# --------------------------------------------------------------------------- citations

_NUM = r"[0-9零〇一二两三四五六七八九十百千]+"
_ITEM = re.compile(rf"第?\s*[（(]?\s*{_NUM}\s*[)）]?\s*项")
_RANGE = re.compile(rf"第?\s*({_NUM})\s*条?\s*[至到~～\-－—]\s*第?\s*({_NUM})\s*条")
_ARTICLE = re.compile(rf"第?\s*({_NUM})\s*条?(?:\s*第?\s*({_NUM})\s*款)?")
_RESIDUE = re.compile(r"[\s,，、;；和及与]+")
MAX_RANGE = 30


def _law_name(text: str) -> str:
    return text.strip().strip("《》").strip().removeprefix("中华人民共和国")


def _expand_range(m: re.Match) -> str:
    a, b = cn_number(m.group(1)), cn_number(m.group(2))
    if a is None or b is None or not 0 < b - a <= MAX_RANGE:
        return m.group(0)
    return "、".join(str(n) for n in range(a, b + 1))


def _articles(law: str, text: str, errors: list[str]) -> list[Citation]:
    """Citations of one law from "第五十一条", "51", "第51条第1款", "51,52", "第六十七条至第六十九条", "序言"."""
    text = nfkc(text)
    out = []
    if "序言" in text:
        out.append(Citation(law=law, article=None, preamble=True))
        text = text.replace("序言", " ")
    text = _RANGE.sub(_expand_range, _ITEM.sub(" ", text))
    for m in _ARTICLE.finditer(text):
        article = cn_number(m.group(1))
        paragraph = cn_number(m.group(2)) if m.group(2) else None
        if not article or (m.group(2) and not paragraph):
            errors.append(f"条款“{m.group(0).strip()}”无效")
            continue
        out.append(Citation(law=law, article=article, paragraph=paragraph))
    if _RESIDUE.sub("", _ARTICLE.sub("", text)):
        errors.append(f"无法识别的条款“{text.strip()}”，应写成“第五十一条”“51”或“第51条第1款”")
    elif not out:
        errors.append(f"《{law}》没有填写条款")
    return out


def parse_citations(law_text: Any, article_text: Any) -> tuple[tuple[Citation, ...], list[str]]:
    """Citations from a 法律 and a 条款 field. 法律 "行政处罚法" + 条款 "第五十一条" / "51" / "第51条第1款" /
    "51,52"; several laws "行政处罚法；行政强制法" + 条款 "51；20"; or either field written in full:
    "《行政处罚法》第五十一条、第五十二条；《行政强制法》第二十条"."""
    laws, arts = clean_text(law_text), clean_text(article_text)
    errors: list[str] = []
    if "《" in arts or ("《" in laws and not arts):
        out = []
        for m in re.finditer(r"《([^》]+)》([^《]*)", arts if "《" in arts else laws):
            out += _articles(_law_name(m.group(1)), m.group(2), errors)
        return tuple(dict.fromkeys(out)), errors
    if not laws and not arts:
        return (), []
    if not laws:
        return (), [f"填写了条款“{arts}”，但没有填写法律"]
    names = [_law_name(n) for n in re.split(r"[；;、\n]+", laws) if _law_name(n)]
    if not arts:
        return (), [f"填写了法律“{laws}”，但没有填写条款"]
    segments = [arts] if len(names) == 1 else [s for s in re.split(r"[；;\n]+", arts) if s.strip()]
    if len(segments) != len(names):
        return (), [f"法律有 {len(names)} 部，条款应相应分为 {len(names)} 段（用“；”分隔）"]
    out = []
    for name, segment in zip(names, segments):
        out += _articles(name, segment, errors)
    return tuple(dict.fromkeys(out)), errors


# --------------------------------------------------------------------------- building a spec

def infer_type(options: list, answer: Any, stem: str) -> str | None:
    """The type of a question whose file gives none: by its options, answer and blanks."""
    if any(options):
        letters = answer_letters(answer)
        return None if letters is None else ("single" if len(set(letters)) == 1 else "multiple")
    if judge_value(answer) is not None and not re.search(r"_{2,}|＿{2,}", stem):
        return "judge"
    if BLANK_RE.search(normalise_blanks(stem)) and clean_text(answer):
        return "blank"
    return None


_JUDGE_OPTION_SETS = {("正确", "错误"): "AB", ("对", "错"): "AB", ("√", "×"): "AB",
                      ("错误", "正确"): "BA", ("错", "对"): "BA", ("×", "√"): "BA"}


def make_spec(key: str, *, qtype: str | None, stem: Any, options: list[Any] | None = None, answer: Any = None,
              explanation: Any = None, difficulty: Any = None, tags: Any = None,
              citations: tuple[Citation, ...] = (), scoring: Any = None, references: tuple[str, ...] = (),
              type_text: str | None = None) -> tuple[QuestionSpec | None, list[str]]:
    """Check and normalise one question; (spec, []) or (None, [Chinese messages without the row prefix]).

    ``answer`` may be given as blank variants ``[["二百元", "200元"], …]`` instead of text;
    ``qtype`` may be "choice" (single or multiple by the answer) or None (inferred from the content);
    ``type_text`` is the unrecognised 题型 as written, for the message; ``options`` may hold empty
    entries (an empty 选项B cell) which are reported.
    """
    errors: list[str] = []
    stem_text = clean_text(stem)
    raw_options = [clean_text(o) for o in (options or [])]
    while raw_options and not raw_options[-1]:
        raw_options.pop()
    parts = tuple(tuple(clean_text(v) for v in vs) for vs in answer) if isinstance(answer, (list, tuple)) else None
    answer_text = format_blank_answer(parts) if parts else clean_text(answer)
    if type_text is not None and qtype is None:
        return None, [f"无法识别的题型“{type_text}”（应为单选、多选、判断、填空或案例分析）"]
    if qtype in (None, "choice", "single", "multiple", "judge") and stem_text:
        new_stem, in_brackets = bracket_answer(stem_text)
        if in_brackets is not None and not answer_text:
            stem_text, answer_text = new_stem, in_brackets
        elif in_brackets is not None:
            same = (answer_letters(in_brackets) or judge_value(in_brackets)) == (
                answer_letters(answer_text) or judge_value(answer_text))
            if not same:
                errors.append(f"题干括号中的答案“{in_brackets}”与答案“{answer_text}”不一致")
            stem_text = new_stem
    if qtype is None:
        qtype = infer_type(raw_options, answer_text, stem_text)
        if qtype is None:
            return None, ["无法判断题型，请填写题型（单选、多选、判断、填空或案例分析）"]
    if not stem_text:
        errors.append("缺少题干")
    explanation_text = clean_text(explanation)
    if not explanation_text:
        errors.append("缺少解析")
    difficulty_value = parse_difficulty(difficulty)
    if difficulty_value is None:
        errors.append(f"难度“{clean_text(difficulty)}”无效，应为 1、2、3 或 简单、中等、困难")
    opts: tuple[str, ...] = ()
    points: tuple[ScoringPoint, ...] = ()
    value: Any = None
    if qtype in ("choice", "single", "multiple"):
        opts = tuple(strip_option_prefix(o) for o in raw_options)
        _check_options(opts, errors)
    if not answer_text:
        errors.append("缺少参考答案" if qtype == "case" else "缺少答案")
    elif qtype in ("choice", "single", "multiple"):
        qtype, value = _choice_answer(qtype, opts, answer_text, errors)
    elif qtype == "judge":
        mapping = _JUDGE_OPTION_SETS.get(tuple(raw_options))
        if raw_options and mapping is None:
            errors.append("判断题不应有选项（答案写“正确”或“错误”）")
        letters = answer_letters(answer_text)
        if mapping and letters in ("A", "B"):
            value = letters == mapping[0]
        else:
            value = judge_value(answer_text)
        if value is None:
            errors.append(f"判断题答案“{answer_text}”无法识别，应为 正确/错误、对/错、√/×")
    elif qtype == "blank":
        stem_text = normalise_blanks(stem_text)
        count = len(BLANK_RE.findall(stem_text))
        value = parts if parts else blank_answer(answer_text, count)
        errors += [f"第{i}空没有答案" for i, variants in enumerate(value, 1) if not variants or not all(variants)]
        if count == 0:
            errors.append("填空题题干中没有填空（____）")
        elif count != len(value):
            errors.append(f"题干中有 {count} 个空，答案有 {len(value)} 项（多个空的答案用“；”分隔）")
    else:
        value = answer_text
    if qtype not in ("choice", "single", "multiple", "judge") and any(raw_options):
        errors.append(f"{TYPE_LABELS[qtype]}不应有选项")
    if qtype == "case" and clean_text(scoring):
        points, more = parse_scoring(scoring)
        errors += more
    if errors:
        return None, errors
    return QuestionSpec(key=key, type=qtype, stem=stem_text, options=opts, answer=value,
                        explanation=explanation_text, citations=tuple(citations),
                        difficulty=difficulty_value, tags=parse_tags(tags), references=tuple(references),
                        status="draft", scoring_points=points), []


def _check_options(opts: tuple[str, ...], errors: list[str]) -> None:
    for i, option in enumerate(opts):
        if not option:
            errors.append(f"选项{LETTERS[i] if i < len(LETTERS) else i + 1}为空")
    if len(opts) < MIN_OPTIONS:
        errors.append(f"选项不足 {MIN_OPTIONS} 个")
    elif len(opts) > MAX_OPTIONS:
        errors.append(f"选项超过 {MAX_OPTIONS} 个")
    for dup in sorted({o for o in opts if o and opts.count(o) > 1}):
        errors.append(f"选项“{dup}”重复")


def _choice_answer(qtype: str, opts: tuple[str, ...], answer: str, errors: list[str]) -> tuple[str, str | None]:
    letters = answer_letters(answer)
    if letters is None:
        errors.append(f"答案“{answer}”无法识别，应为选项字母，如 B 或 ABD")
        return ("single" if qtype == "choice" else qtype), None
    unique = "".join(sorted(set(letters)))
    if qtype == "choice":
        qtype = "single" if len(unique) == 1 else "multiple"
    for letter in unique:
        if LETTERS.index(letter) >= len(opts):
            errors.append(f"答案“{letter}”不在选项中（共 {len(opts)} 个选项）")
    if qtype == "single" and len(unique) != 1:
        errors.append(f"单选题只能有一个正确选项，答案却是“{answer}”")
    if qtype == "multiple" and len(unique) < 2:
        errors.append("多选题至少两个正确选项")
    return qtype, unique
