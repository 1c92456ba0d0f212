"""Bank files (question_banks/*.yaml, format 1): the values and loading.

Pure: no Flask, no database. The format is described in question_banks/README.md.

* `load_bank(text, filename)` parses and checks one file on its own (structure, answers, keys) and
  returns a `BankSpec` (None when there is any error) plus the issues found.
* Checking against the law library and across banks: `trainer.banks.validation`; writing the format back:
  `trainer.banks.bankdump`; numbers with units: `trainer.banks.numbers`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

import yaml

from trainer.banks.numbers import cn_number
from trainer.laws.parser import int_to_cn_numeral

__all__ = [
    "BankSpec", "Citation", "Issue", "QuestionSpec", "ScoringPoint", "FORMAT_VERSION", "STATUSES", "TYPES",
    "BLANK_RE", "load_bank", "load_question",
]

FORMAT_VERSION = 1
TYPES = ("single", "multiple", "judge", "blank", "case")
STATUSES = ("draft", "reviewed", "published", "retired")
LETTERS = "ABCDEFGH"
MIN_OPTIONS, MAX_OPTIONS = 2, 8
KEY_RE = re.compile(r"^[a-z]+-\d{4}$")
BLANK_RE = re.compile(r"_{3,}")                     # a blank in a stem, written "____"
BANK_FIELDS = ("format", "bank", "title", "course", "questions")
QUESTION_FIELDS = ("key", "type", "stem", "options", "answer", "scoring_points", "explanation", "citations",
                   "difficulty", "tags", "references", "status")
CITATION_FIELDS = ("law", "article", "paragraph", "preamble")


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Citation:
    law: str                      # short title, without 中华人民共和国
    article: int | None           # None for the preamble
    paragraph: int | None = None  # 款, 1-based; items do not count
    preamble: bool = False

    @property
    def label(self) -> str:
        if self.preamble:
            return f"《{self.law}》序言"
        text = f"《{self.law}》第{int_to_cn_numeral(self.article or 0)}条"
        return text + (f"第{int_to_cn_numeral(self.paragraph)}款" if self.paragraph else "")


@dataclass(frozen=True)
class ScoringPoint:
    point: str
    score: float


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    type: str
    stem: str
    options: tuple[str, ...]
    answer: Any                   # "B" | "ABD" | bool | (("二百元", "200元"), ...) | reference text
    explanation: str
    citations: tuple[Citation, ...]
    difficulty: int
    tags: tuple[str, ...]
    references: tuple[str, ...]
    status: str
    scoring_points: tuple[ScoringPoint, ...] = ()


@dataclass(frozen=True)
class BankSpec:
    format: int
    slug: str
    title: str
    course: str
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class Issue:
    level: Literal["error", "warning"]
    bank: str
    key: str | None
    message: str

    def __str__(self) -> str:
        return f"[{self.bank}] {self.key}：{self.message}" if self.key else f"[{self.bank}] {self.message}"


# --------------------------------------------------------------------------- loading

class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"字段“{key}”重复", key_node.start_mark)
                if isinstance(key, (str, int, float, bool)):
                    seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"（第{mark.line + 1}行第{mark.column + 1}列）" if mark is not None else ""
    return f"YAML 格式错误{where}：{problem}"


class _Checker:
    """Collects the issues of one question (or of the file header when key is None)."""

    def __init__(self, bank: str, key: str | None, issues: list[Issue]) -> None:
        self.bank, self.key, self.issues, self.failed = bank, key, issues, False

    def error(self, message: str) -> None:
        self.issues.append(Issue("error", self.bank, self.key, message))
        self.failed = True

    def warning(self, message: str) -> None:
        self.issues.append(Issue("warning", self.bank, self.key, message))

    def text(self, raw: dict, field: str, label: str, required: bool = True) -> str | None:
        value = raw.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(f"缺少字段 {field}（{label}）")
            return None
        if not isinstance(value, str):
            self.error(f"{field}（{label}）应为文本")
            return None
        return value.strip()

    def text_list(self, raw: dict, field: str, label: str) -> tuple[str, ...]:
        value = raw.get(field)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(f"{field}（{label}）应为列表")
            return ()
        out = []
        for item in value:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.error(f"{field}（{label}）中有空项或非文本项")
                continue
            out.append(item.strip())
        return tuple(out)


def _stem(filename: str) -> str:
    return PurePath(filename).stem


def load_bank(text: str, filename: str, *, strict: bool = True) -> tuple[BankSpec | None, list[Issue]]:
    """Parse and check one bank file. Returns (bank, issues); the bank is None when there is any error.

    With strict=False a bank whose header is fine is returned with its valid questions only (the
    invalid ones are reported), so the rest can still be checked against the law text.
    """
    stem = _stem(filename)
    issues: list[Issue] = []
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        return None, [Issue("error", stem, None, _yaml_message(exc))]
    if not isinstance(data, dict):
        return None, [Issue("error", stem, None, "文件内容应为一个映射（format、bank、title、course、questions）")]
    head = _Checker(stem, None, issues)
    fmt = data.get("format")
    if fmt is None:
        head.error("缺少字段 format（格式版本），应为 format: 1")
        return None, issues
    if isinstance(fmt, bool) or fmt != FORMAT_VERSION:
        head.error(f"不支持的格式版本 format: {fmt}（仅支持 {FORMAT_VERSION}）")
        return None, issues
    slug = head.text(data, "bank", "题库标识")
    if slug is not None and slug != stem:
        head.error(f"bank“{slug}”与文件名“{stem}”不一致")
    title = head.text(data, "title", "题库名称")
    course = head.text(data, "course", "所属课程", required=False)
    if course is None:
        head.warning("未填写 course（所属课程）")
    for field in data:
        if field not in BANK_FIELDS:
            head.warning(f"未知字段 {field}（已忽略）")
    raw_questions = data.get("questions")
    if raw_questions is None:
        raw_questions = []
        head.warning("题库中没有试题（questions）")
    elif not isinstance(raw_questions, list):
        head.error("questions 应为试题列表")
        raw_questions = []
    questions: list[QuestionSpec] = []
    seen: set[str] = set()
    any_failed = head.failed
    for index, raw in enumerate(raw_questions, 1):
        spec = _load_question(raw, index, stem, issues)
        if spec is not None and spec.key in seen:
            issues.append(Issue("error", stem, spec.key, f"试题编号 {spec.key} 在本文件中重复"))
            spec = None
        if spec is None:
            any_failed = True
            continue
        seen.add(spec.key)
        questions.append(spec)
    if head.failed or (strict and any_failed):
        return None, issues
    return BankSpec(format=FORMAT_VERSION, slug=slug or stem, title=title or "", course=course or "",
                    questions=tuple(questions)), issues


def load_question(raw: dict, bank: str) -> tuple[QuestionSpec | None, list[Issue]]:
    """Check one question given as a mapping in the bank format (e.g. from the web editor)."""
    issues: list[Issue] = []
    return _load_question(raw, 1, bank, issues), issues


def _load_question(raw: Any, index: int, bank: str, issues: list[Issue]) -> QuestionSpec | None:
    if not isinstance(raw, dict):
        issues.append(Issue("error", bank, f"第{index}题", "试题应为一个映射（key、type、stem……）"))
        return None
    key = raw.get("key")
    has_key = isinstance(key, str) and key.strip()
    c = _Checker(bank, key.strip() if has_key else f"第{index}题", issues)
    if not has_key:
        c.error("缺少字段 key（试题编号）")
    elif not KEY_RE.match(key.strip()):
        c.error(f"试题编号“{key}”格式不对，应为“小写字母前缀-四位数字”，如 xzcf-0001")
    for field in raw:
        if field not in QUESTION_FIELDS:
            c.warning(f"未知字段 {field}（已忽略）")
    qtype = raw.get("type")
    if qtype is None:
        c.error("缺少字段 type（题型）")
    elif qtype not in TYPES:
        c.error(f"未知题型“{qtype}”（应为 {'、'.join(TYPES)} 之一）")
        qtype = None
    stem = c.text(raw, "stem", "题干")
    explanation = c.text(raw, "explanation", "解析")
    options = _options(raw.get("options"), qtype, c)
    answer = None
    if "answer" not in raw or raw["answer"] is None:
        c.error("缺少字段 answer（答案）")
    elif qtype is not None:
        answer = _ANSWER_PARSERS[qtype](raw["answer"], options, stem, c)
    scoring_points = _scoring_points(raw.get("scoring_points"), qtype, c)
    citations = _citations(raw.get("citations"), c)
    difficulty = raw.get("difficulty")
    if difficulty is None:
        c.error("缺少字段 difficulty（难度）")
    elif isinstance(difficulty, bool) or difficulty not in (1, 2, 3):
        c.error(f"难度 difficulty 应为 1、2 或 3，而不是 {difficulty}")
    status = raw.get("status")
    if status is None:
        c.error("缺少字段 status（状态）")
    elif status not in STATUSES:
        c.error(f"状态“{status}”无效（应为 {'、'.join(STATUSES)} 之一）")
    tags = c.text_list(raw, "tags", "知识点")
    references = c.text_list(raw, "references", "参考文件")
    if c.failed:
        return None
    return QuestionSpec(key=key.strip(), type=qtype, stem=stem, options=options, answer=answer,
                        explanation=explanation, citations=citations, difficulty=int(difficulty), tags=tags,
                        references=references, status=status, scoring_points=scoring_points)


_LETTER_PREFIX = re.compile(r"^[A-Ha-h]\s*[.．、:：)）]")


def _options(raw: Any, qtype: str | None, c: _Checker) -> tuple[str, ...]:
    if qtype not in ("single", "multiple"):
        if raw:
            c.error("判断题不应有选项（options）" if qtype == "judge" else "只有单选题和多选题有选项（options）")
        return ()
    if not isinstance(raw, list):
        c.error("缺少选项（options），应为 2–8 个选项的列表")
        return ()
    options = []
    for i, item in enumerate(raw):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            c.error(f"选项 {LETTERS[i] if i < len(LETTERS) else i + 1} 为空或不是文本")
            continue
        if _LETTER_PREFIX.match(item.strip()):
            c.error(f"选项“{item.strip()}”不要带“A.”之类的序号")
        options.append(item.strip())
    if not MIN_OPTIONS <= len(raw) <= MAX_OPTIONS:
        c.error(f"选项应为 {MIN_OPTIONS}–{MAX_OPTIONS} 个，现有 {len(raw)} 个")
    for dup in sorted({o for o in options if options.count(o) > 1}):
        c.error(f"选项“{dup}”重复")
    return tuple(options)


def _check_letters_in_options(letters: str, options: tuple[str, ...], c: _Checker) -> None:
    if not options:
        return      # the missing options are already reported
    for letter in letters:
        if LETTERS.index(letter) >= len(options):
            c.error(f"答案 {letter} 不在选项中（共 {len(options)} 个选项）")


def _answer_single(raw: Any, options: tuple[str, ...], stem: str | None, c: _Checker) -> str | None:
    text = raw.strip().upper() if isinstance(raw, str) else ""
    if len(text) != 1 or text not in LETTERS:
        c.error(f"单选题答案应为一个字母，如 B，而不是“{raw}”")
        return None
    _check_letters_in_options(text, options, c)
    return text


_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _answer_multiple(raw: Any, options: tuple[str, ...], stem: str | None, c: _Checker) -> str | None:
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        raw_text = "".join(raw)
    elif isinstance(raw, str):
        raw_text = raw
    else:
        c.error(f"多选题答案应为字母，如 ABD，而不是“{raw}”")
        return None
    letters = _SEPARATORS.sub("", raw_text).upper()
    if not letters or any(ch not in LETTERS for ch in letters):
        c.error(f"多选题答案应为字母，如 ABD，而不是“{raw_text}”")
        return None
    if len(set(letters)) != len(letters):
        c.error(f"多选题答案“{raw_text}”中有重复的字母")
    if len(set(letters)) < 2:
        c.error("多选题至少应有两个正确答案")
    _check_letters_in_options("".join(sorted(set(letters))), options, c)
    return "".join(sorted(set(letters)))


_JUDGE_WORDS = {"true": True, "对": True, "正确": True, "false": False, "错": False, "错误": False}


def _answer_judge(raw: Any, options: tuple[str, ...], stem: str | None, c: _Checker) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _JUDGE_WORDS:
        return _JUDGE_WORDS[raw.strip().lower()]
    c.error(f"判断题答案应为 true（正确）或 false（错误），而不是“{raw}”")
    return None


def _answer_blank(raw: Any, options: tuple[str, ...], stem: str | None, c: _Checker):
    entries = raw if isinstance(raw, list) else [raw]
    answer: list[tuple[str, ...]] = []
    for i, entry in enumerate(entries, 1):
        variants = entry if isinstance(entry, list) else [entry]
        clean = []
        for v in variants:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            if not isinstance(v, str) or not v.strip():
                c.error(f"第{i}空的答案为空或不是文本")
                continue
            clean.append(v.strip())
        if not variants:
            c.error(f"第{i}空没有答案")
        answer.append(tuple(clean))
    if stem is not None:
        blanks = len(BLANK_RE.findall(stem))
        if blanks != len(entries):
            c.error(f"题干中有 {blanks} 个空（____），答案有 {len(entries)} 项")
    return tuple(answer)


def _answer_case(raw: Any, options: tuple[str, ...], stem: str | None, c: _Checker) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        c.error("案例分析题的 answer 应为参考答案（文本）")
        return None
    return raw.strip()


_ANSWER_PARSERS: dict[str, Callable[..., Any]] = {
    "single": _answer_single, "multiple": _answer_multiple, "judge": _answer_judge,
    "blank": _answer_blank, "case": _answer_case}


def _scoring_points(raw: Any, qtype: str | None, c: _Checker) -> tuple[ScoringPoint, ...]:
    if qtype != "case":
        if raw:
            c.error("只有案例分析题有评分要点（scoring_points）")
        return ()
    if not raw:
        c.error("案例分析题缺少评分要点（scoring_points）")
        return ()
    if not isinstance(raw, list):
        c.error("scoring_points 应为列表，每项为 {point: 要点, score: 分值}")
        return ()
    points = []
    for i, item in enumerate(raw, 1):
        point = item.get("point") if isinstance(item, dict) else None
        score = item.get("score") if isinstance(item, dict) else None
        if not isinstance(point, str) or not point.strip():
            c.error(f"第{i}个评分要点缺少 point（要点）")
        elif isinstance(score, bool) or not isinstance(score, (int, float)) or score <= 0:
            c.error(f"评分要点“{point.strip()}”的 score（分值）应为正数")
        else:
            points.append(ScoringPoint(point=point.strip(), score=float(score)))
    return tuple(points)


_ARTICLE_LABEL = re.compile(r"^第([零〇一二两三四五六七八九十百千0-9]+)条$")


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        m = _ARTICLE_LABEL.match(value.strip())
        value = cn_number(m.group(1) if m else value)
    return value if isinstance(value, int) and value >= 1 else None


def _citations(raw: Any, c: _Checker) -> tuple[Citation, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.error("citations 应为列表，每项如 {law: 行政处罚法, article: 51}")
        return ()
    out = []
    for item in raw:
        if not isinstance(item, dict):
            c.error(f"出处“{item}”格式不对，应如 {{law: 行政处罚法, article: 51}}")
            continue
        for field in item:
            if field not in CITATION_FIELDS:
                c.error(f"出处中有未知字段 {field}")
        law = item.get("law")
        if not isinstance(law, str) or not law.strip():
            c.error("出处缺少 law（法律简称）")
            continue
        law = law.strip().strip("《》").removeprefix("中华人民共和国")
        preamble = item.get("preamble", False)
        if not isinstance(preamble, bool):
            c.error(f"《{law}》出处的 preamble 应为 true 或 false")
            continue
        article = item.get("article")
        paragraph = item.get("paragraph")
        if preamble and article is not None:
            c.error(f"《{law}》出处不能同时是序言（preamble）和条文（article）")
            continue
        if not preamble and _positive_int(article) is None:
            c.error(f"《{law}》出处缺少 article（条号，整数）" if article is None
                    else f"《{law}》出处的条号“{article}”无效")
            continue
        if paragraph is not None and _positive_int(paragraph) is None:
            c.error(f"《{law}》出处的款号“{paragraph}”无效")
            continue
        out.append(Citation(law=law, article=None if preamble else _positive_int(article),
                            paragraph=_positive_int(paragraph) if paragraph is not None else None,
                            preamble=preamble))
    return tuple(out)
