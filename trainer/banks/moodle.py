"""Moodle XML export and import of questions (pure: no Flask, no database).

Mapping (both directions):

    single    multichoice, <single>true</single>, fraction 100 for the answer, 0 for the others
    multiple  multichoice, <single>false</single>, 100/n for each of the n correct options (50, 33.33333,
              25 …) and -100/m for each of the m wrong ones, so choosing every option scores nothing
    judge     truefalse
    blank     one blank: shortanswer, every variant an answer with fraction 100;
              several blanks: cloze, each ____ written as {1:SHORTANSWER:=二百元~=200元}
    case      essay, the reference answer (and the scoring points) in <graderinfo>

The explanation is the <generalfeedback>, the key the <name>; knowledge points are tags, and the
difficulty, citations and reference documents travel as tags "难度:中等", "出处:《行政处罚法》第五十一条",
"参考文件:…" so that export -> import round-trips our questions. Texts are written as HTML (escaped,
line breaks as <br>) inside XML-escaped <text> elements; imports are parsed with defusedxml.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET  # noqa: S405 - used to build XML only; parsing uses defusedxml
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from trainer.banks.bankfile import QuestionSpec
from trainer.banks.importers import (
    ImportedItem, ImportPreview, check_prefix, format_scoring, make_key, make_spec, parse_citations,
)
from trainer.banks.types import LETTERS
from trainer.uploads import UploadError, check_upload

__all__ = ["export_moodle_xml", "moodle_fraction", "parse_moodle_xml"]

DIFFICULTY_NAMES = {1: "简单", 2: "中等", 3: "困难"}
TAG_DIFFICULTY, TAG_CITATION, TAG_REFERENCE = "难度:", "出处:", "参考文件:"
SCORING_HEADING = "评分要点："
_CLOZE_SHORTANSWER = ("SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC")
_CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}")
_CLOZE_SPECIAL = re.compile(r'([\\}#~/"{])')
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def moodle_fraction(value: float) -> str:
    """A fraction as Moodle writes it: 100, 50, 33.33333, -16.66667."""
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------- export

def _html(text: str) -> str:
    return html.escape(_XML_ILLEGAL.sub("", text), quote=False).replace("\n", "<br>")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _XML_ILLEGAL.sub("", text)
    return element


def _text(parent: ET.Element, tag: str, content: str, fmt: str | None = "html") -> ET.Element:
    element = _sub(parent, tag, **({"format": fmt} if fmt else {}))
    _sub(element, "text", content)
    return element


def _cloze_answer(variants: tuple[str, ...]) -> str:
    return "~".join("=" + _CLOZE_SPECIAL.sub(r"\\\1", _html(v)) for v in variants)


def _answers(question: ET.Element, answers: list[tuple[str, str]]) -> None:
    for fraction, text in answers:
        answer = _sub(question, "answer", fraction=fraction, format="html")
        _sub(answer, "text", text)
        _text(answer, "feedback", "")


def _question(quiz: ET.Element, q: QuestionSpec) -> None:
    blanks = q.type == "blank" and len(q.answer) > 1
    kind = {"single": "multichoice", "multiple": "multichoice", "judge": "truefalse", "case": "essay",
            "blank": "cloze" if blanks else "shortanswer"}[q.type]
    question = _sub(quiz, "question", type=kind)
    _sub(_sub(question, "name"), "text", q.key)
    stem = _html(q.stem)
    if blanks:
        parts = re.split(r"_{3,}", stem)
        stem = parts[0] + "".join(f"{{1:SHORTANSWER:{_cloze_answer(v)}}}{rest}"
                                  for v, rest in zip(q.answer, parts[1:]))
    _text(question, "questiontext", stem)
    _text(question, "generalfeedback", _html(q.explanation))
    points = sum(p.score for p in q.scoring_points) if q.type == "case" and q.scoring_points else 1
    _sub(question, "defaultgrade", moodle_fraction(points))
    _sub(question, "penalty", {"truefalse": "1", "essay": "0"}.get(kind, "0.3333333"))
    _sub(question, "hidden", "0")
    _sub(question, "idnumber", q.key)
    if q.type in ("single", "multiple"):
        _sub(question, "single", "true" if q.type == "single" else "false")
        _sub(question, "shuffleanswers", "true")
        _sub(question, "answernumbering", "ABCD")
        correct = [LETTERS[i] in q.answer for i in range(len(q.options))]
        right, wrong = sum(correct), len(correct) - sum(correct)
        if q.type == "single":
            fractions = ["100" if c else "0" for c in correct]
        else:
            fractions = [moodle_fraction(100 / right) if c else moodle_fraction(-100 / wrong) for c in correct]
        _answers(question, [(f, _html(o)) for f, o in zip(fractions, q.options)])
    elif q.type == "judge":
        _answers(question, [("100" if q.answer else "0", "true"), ("0" if q.answer else "100", "false")])
    elif q.type == "blank" and not blanks:
        _sub(question, "usecase", "0")
        _answers(question, [("100", _html(v)) for v in q.answer[0]])
    elif q.type == "case":
        _sub(question, "responseformat", "editor")
        _sub(question, "responserequired", "1")
        _sub(question, "responsefieldlines", "15")
        _sub(question, "attachments", "0")
        info = q.answer + (f"\n\n{SCORING_HEADING}\n{format_scoring(q.scoring_points)}" if q.scoring_points else "")
        _text(question, "graderinfo", _html(info))
        _text(question, "responsetemplate", "")
    tags = [*q.tags, TAG_DIFFICULTY + DIFFICULTY_NAMES[q.difficulty], *(TAG_CITATION + c.label for c in q.citations),
            *(TAG_REFERENCE + r for r in q.references)]
    container = _sub(question, "tags")
    for tag in tags:
        _sub(_sub(container, "tag"), "text", tag)


def export_moodle_xml(specs: list[QuestionSpec], category: str) -> bytes:
    """The questions as a Moodle XML file (<quiz>, a category question, then one question per spec)."""
    quiz = ET.Element("quiz")
    head = _sub(quiz, "question", type="category")
    _sub(_sub(head, "category"), "text", category if category.startswith("$") else f"$course$/top/{category}")
    _text(head, "info", "")
    for q in specs:
        _question(quiz, q)
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True)


# --------------------------------------------------------------------------- import

def _plain(raw: str | None, fmt: str | None = "html") -> str:
    """Text of a Moodle text field: HTML tags dropped, <br>/<p> as line breaks, entities decoded."""
    text = raw or ""
    if fmt in (None, "html", "moodle_auto_format"):
        text = re.sub(r"(?i)<br\s*/?>", "\n", text)
        text = re.sub(r"(?i)</(?:p|div|li|h\d|tr)\s*>", "\n", text)
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    text = text.replace("\xa0", " ").replace("\r\n", "\n")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()


def _field(question: Any, tag: str) -> tuple[str, str | None]:
    """(raw text, format) of <tag format=…><text>…</text></tag>."""
    element = question.find(tag)
    if element is None:
        return "", None
    return element.findtext("text") or "", element.get("format", "html")


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current, i = current + text[i:i + 2], i + 2
        elif text[i] == sep:
            parts, current, i = parts + [current], "", i + 1
        else:
            current, i = current + text[i], i + 1
    return parts + [current]


def _cloze(raw: str, fmt: str | None, errors: list[str]) -> tuple[str, list[list[str]]]:
    """(stem with ____, [[variants]…]) from a cloze question text."""
    answers: list[list[str]] = []

    def blank(m: re.Match) -> str:
        if m.group(2) not in _CLOZE_SHORTANSWER:
            errors.append(f"完形填空中的“{m.group(2)}”子题不支持导入（只支持 SHORTANSWER）")
            return "____"
        variants = []
        for choice in _split_unescaped(m.group(3), "~"):
            choice = _split_unescaped(choice, "#")[0]
            weight = re.match(r"^(=|%(-?\d+(?:\.\d+)?)%)?", choice)
            if weight.group(1) == "=" or (weight.group(2) and float(weight.group(2)) == 100):
                variants.append(_plain(re.sub(r"\\(.)", r"\1", choice[weight.end():]), fmt))
        if not variants:
            errors.append("完形填空中有一个空没有满分答案")
        answers.append(variants)
        return "____"

    return _plain(_CLOZE.sub(blank, raw), fmt), answers


def _tags(question: Any) -> tuple[list[str], dict[str, list[str]]]:
    tags, special = [], {TAG_DIFFICULTY: [], TAG_CITATION: [], TAG_REFERENCE: []}
    for element in question.findall("tags/tag"):
        text = (element.findtext("text") or "").strip()
        prefix = next((p for p in special if text.startswith(p)), None)
        if prefix:
            special[prefix].append(text[len(prefix):].strip())
        elif text:
            tags.append(text)
    return tags, special


def _fraction(raw: str | None) -> float:
    try:
        return float(raw or 0)
    except ValueError:
        return 0.0


def _read_question(question: Any, key: str) -> tuple[QuestionSpec | None, list[str]]:
    kind = question.get("type")
    errors: list[str] = []
    raw_stem, fmt = _field(question, "questiontext")
    stem = _plain(raw_stem, fmt)
    options: list[str] = []
    answer: Any = None
    scoring = None
    qtype = {"multichoice": "single", "truefalse": "judge", "shortanswer": "blank", "cloze": "blank",
             "essay": "case"}.get(kind)
    if qtype is None:
        return None, [f"不支持的 Moodle 题型“{kind}”"]
    answers = [(_fraction(a.get("fraction")), _plain(a.findtext("text"), a.get("format", "html")))
               for a in question.findall("answer")]
    if kind == "multichoice":
        options = [text for _, text in answers]
        single = (question.findtext("single") or "true").strip().lower() in ("true", "1")
        correct = "".join(LETTERS[i] for i, (f, _) in enumerate(answers[:len(LETTERS)])
                          if (f >= 99.99 if single else f > 0))
        qtype, answer = ("single" if single or len(correct) == 1 else "multiple"), correct
    elif kind == "truefalse":
        answer = next((text for f, text in answers if f >= 99.99), "")
    elif kind == "shortanswer":
        answer = [[text for f, text in answers if f >= 99.99]]
        if not re.search(r"_{3,}", stem):
            stem += "____"
    elif kind == "cloze":
        stem, answer = _cloze(raw_stem, fmt, errors)
    else:
        info = _plain(*_field(question, "graderinfo"))
        answer, _, scoring = info.partition(SCORING_HEADING)
    tags, special = _tags(question)
    citations: list = []
    for label in special[TAG_CITATION]:
        found, more = parse_citations(None, label)
        citations += found
        errors += more
    spec, more = make_spec(key, qtype=qtype, stem=stem, options=options, answer=answer,
                           explanation=_plain(*_field(question, "generalfeedback")),
                           difficulty=(special[TAG_DIFFICULTY] or [None])[0], tags="、".join(tags),
                           citations=tuple(dict.fromkeys(citations)), scoring=scoring,
                           references=tuple(special[TAG_REFERENCE]))
    errors += more
    return (None if errors else spec), errors


def parse_moodle_xml(data: bytes, key_prefix: str, start: int = 1) -> ImportPreview:
    """Questions from a Moodle XML file; raises UploadError for a rejected or unreadable file."""
    try:
        check_upload("moodle.txt", data, {"txt"})
    except UploadError as exc:
        raise UploadError(str(exc).replace(".txt", ".xml")) from None
    check_prefix(key_prefix)
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UploadError("不是有效的 Moodle XML 文件")
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException:
        raise UploadError("文件包含不安全的 XML 内容（实体或外部引用），已拒绝") from None
    except ET.ParseError as exc:
        raise UploadError(f"XML 格式错误：{exc}") from None
    if root.tag != "quiz":
        raise UploadError("不是 Moodle XML 题库文件（根元素应为 quiz）")
    preview = ImportPreview()
    number = 0
    for question in root.findall("question"):
        if question.get("type") in ("category", "description"):
            continue
        number += 1
        name = (question.findtext("name/text") or "").strip()
        ref = f"第{number}题" + (f"（{name}）" if name else "")
        spec, errors = _read_question(question, make_key(key_prefix, start + number - 1))
        preview.items.append(ImportedItem(ref=ref, spec=spec, errors=[f"{ref}：{e}" for e in errors]))
    if not preview.items:
        preview.errors.append("文件中没有试题")
    return preview
