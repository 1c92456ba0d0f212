"""Word side of the bank importer: read an exam paper (.docx) into questions.

Layout handled, line by line (paragraphs, soft line breaks, table cells and Word's automatic numbering
rendered as text):

* section headings set the type: 一、单项选择题（每题1分，共20分） / （二）多选题 / 第三部分 判断题 / 案例分析题;
* items numbered 1. / 1、 / 1． / （1） / (1) / 第1题; a section keeps the numbering style of its first item,
  so （1）（2） sub-questions inside a "1." case item stay in its stem;
* options A. / A、 / A． / （A） / A: one per line, several on one line, or after the stem on its line;
* answers in the stem's brackets （B） / (B) / （ AB ） / （√） / （对）, on 答案：B / 正确答案：B / 【答案】B
  lines, or in an answer key after a 参考答案 heading: 1-5 ABCDE, 1.B 2.C, 判断：1-5 √×√√×, a 题号/答案
  table, 1. 二百元；三千元; per section (section headings, 单选：… prefixes, or numbering that restarts)
  or continuously numbered; 解析：… / 【解析】… lines (also in the key), 知识点：, 难度：, 出处：, 评分要点：.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from trainer.banks.importers import (
    MAX_ITEMS, TYPE_LABELS, ImportedItem, ImportPreview, answer_letters, blank_answer, check_prefix, judge_value,
    make_key, make_spec, parse_citations, type_from_text,
)
from trainer.laws.parser import int_to_cn_numeral
from trainer.uploads import UploadError, check_upload

__all__ = ["parse_docx", "split_options"]

_CN = "一二三四五六七八九十"
_SECTION = re.compile(rf"^(?:第[{_CN}]+部分|[{_CN}]+\s*[、.．]|[（(][{_CN}]+[)）])\s*(.+)$")
_BARE_SECTION = re.compile(r"^[\u4e00-\u9fff]{2,8}题(?:[（(].*)?\s*[:：]?$")
_ITEM_DOT = re.compile(r"^(\d{1,4})\s*[.．、。](?!\d)\s*(.*)$")
_ITEM_PAREN = re.compile(r"^[（(]\s*(\d{1,4})\s*[)）]\s*(.*)$")
_ITEM_TI = re.compile(r"^第\s*(\d{1,4})\s*题[.．、:：\s]*(.*)$")
_ANSWER = re.compile(r"^(?:【\s*(?:正确|参考|标准)?答案\s*】|(?:正确|参考|标准)?答案\s*[:：]|答\s*[:：])\s*(.*)$")
_KEY_HEADING = re.compile(rf"^(?:[{_CN}]+\s*[、.．]\s*|附\s*[:：]?\s*)?[【\[]?(?:参考|标准)?答案"
                          r"(?:\s*(?:及|与|和)\s*(?:解析|评分标准))?[】\]]?\s*[:：]?$")
_EXPLANATION = re.compile(r"(?:【\s*(?:答案|试题)?(?:解析|分析|点评|详解)\s*】|(?:答案|试题)?(?:解析|分析|详解)\s*[:：])\s*")
_FIELDS = {"tags": ("知识点", "考点"), "difficulty": ("难度",), "citation": ("出处", "法律依据", "法条依据", "依据"),
           "scoring": ("评分要点", "评分标准")}
_FIELD_LINE = re.compile(r"^(?:【\s*(?P<a>%s)\s*】|(?P<b>%s)\s*[:：])\s*(?P<rest>.*)$" % (
    ("|".join(n for names in _FIELDS.values() for n in names),) * 2))
_KEY_MARK = re.compile(r"(?<![\dA-Za-z])[（(]?(\d{1,4})[)）]?(?:\s*[-－—~～至]\s*(\d{1,4}))?\s*[.．、:：]?\s*")
_CHOICE_OR_JUDGE = re.compile(r"^(?:[A-Ha-h√×✓✗✔✘╳对错xX\s,，、]|正确|错误)+$")
_KEY_PREFIX = re.compile(r"^([^\d:：]{1,12}?)\s*(?:[:：]|\s(?=\d))\s*(.*)$")


def _mark(letter: str) -> str:
    return rf"(?:[（(]\s*{letter}\s*[)）]|{letter}\s*[.．、:：])"


def split_options(text: str, first: str = "A") -> list[str] | None:
    """["罚款", "警告", …] from "A.罚款  B.警告  C.没收" (starting at letter ``first``); None if the text does
    not start with that option marker."""
    m = re.match(r"\s*" + _mark(first), text)
    if not m:
        return None
    parts, letter, pos = [], first, m.end()
    while True:
        nxt = chr(ord(letter) + 1)
        found = re.compile(r"(?<![A-Za-z])" + _mark(nxt)).search(text, pos) if nxt <= "H" else None
        parts.append(text[pos:found.start() if found else len(text)].strip())
        if not found:
            return parts
        letter, pos = nxt, found.end()


def _inline_options(text: str) -> tuple[str, list[str]]:
    """(stem, options) for "下列…的是（ ）A.罚款 B.警告" on one line; (text, []) when there are none."""
    for m in re.finditer(r"(?:(?<=\s)|(?<=[）)。？?：:]))A\s*[.．、:：]", text):
        options = split_options(text[m.start():])
        if options and len(options) >= 2:
            return text[:m.start()].strip(), options
    return text, []


# --------------------------------------------------------------------------- reading the document

class _Numbering:
    """Renders Word's automatic list numbers ("1.", "A.", "一、") that are not part of the paragraph text."""

    def __init__(self, doc) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.counts: dict[str, dict[int, int]] = {}
        self.by_style: dict[str | None, object] = {}
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        val = qn("w:val")
        abstract = {}
        for an in root.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in an.findall(qn("w:lvl")):
                get = {tag: lvl.find(qn(tag)) for tag in ("w:numFmt", "w:lvlText", "w:start")}
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = (
                    get["w:numFmt"].get(val) if get["w:numFmt"] is not None else "decimal",
                    get["w:lvlText"].get(val) if get["w:lvlText"] is not None else "",
                    int(get["w:start"].get(val)) if get["w:start"] is not None else 1)
            abstract[an.get(qn("w:abstractNumId"))] = levels
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.levels[num.get(qn("w:numId"))] = abstract.get(ref.get(val), {})

    def _num_pr(self, paragraph: Paragraph):
        """The paragraph's own numbering, else its style's (looked up once per style: it is slow)."""
        ppr = paragraph._p.pPr
        if ppr is not None and ppr.numPr is not None:
            return ppr.numPr
        style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
        if style_id not in self.by_style:
            style, found = paragraph.style, None
            while style is not None and found is None:
                sppr = style.element.pPr
                found = sppr.numPr if sppr is not None else None
                style = style.base_style
            self.by_style[style_id] = found
        return self.by_style[style_id]

    def label(self, paragraph: Paragraph) -> str:
        num_pr = self._num_pr(paragraph) if self.levels else None
        if num_pr is None or num_pr.numId is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        levels = self.levels.get(num_id, {})
        if ilvl not in levels:
            return ""
        counts = self.counts.setdefault(num_id, {})
        counts[ilvl] = counts.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        text = levels[ilvl][1]
        for level, count in counts.items():
            fmt = levels.get(level, ("decimal", "", 1))[0]
            if fmt in ("upperLetter", "lowerLetter"):
                shown = chr(64 + count) if 0 < count <= 26 else str(count)
            elif fmt.startswith(("chinese", "ideograph", "taiwanese")):
                shown = int_to_cn_numeral(count)
            else:
                shown = str(count)
            text = text.replace(f"%{level + 1}", shown)
        return "" if levels[ilvl][0] in ("bullet", "none") else text


def _table_lines(table: Table) -> list[str]:
    rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
    out, i = [], 0
    while i < len(rows):
        head = re.sub(r"\s", "", rows[i][0]) if rows[i] else ""
        nxt = re.sub(r"\s", "", rows[i + 1][0]) if i + 1 < len(rows) and rows[i + 1] else ""
        if head in ("题号", "序号") and nxt in ("答案", "参考答案"):
            out += ["参考答案", "  ".join(f"{n}.{a}" for n, a in zip(rows[i][1:], rows[i + 1][1:]) if n and a)]
            i += 2
            continue
        for text in dict.fromkeys(rows[i]):          # merged cells repeat their text
            out += text.split("\n")
        i += 1
    return out


def _document_lines(doc) -> list[str]:
    numbering, lines = _Numbering(doc), []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, doc)
            label = numbering.label(paragraph)
            text = paragraph.text
            lines += ((label + " " if label else "") + text).split("\n")
        elif child.tag == qn("w:tbl"):
            lines += _table_lines(Table(child, doc))
    return [re.sub(r"[\t\u3000\xa0]", "  ", line).strip() for line in lines]


# --------------------------------------------------------------------------- the paper

@dataclass
class _Item:
    number: int
    section: int
    qtype: str | None
    style: str
    stem: list[str]
    options: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    current: str = "stem"
    errors: list[str] = field(default_factory=list)


@dataclass
class _KeyEntry:
    item: _Item | None
    number: int
    answer: list[str]
    explanation: list[str] = field(default_factory=list)
    text: str = ""            # numbering style of a blank / case answer that may continue on the next lines


def _section_type(line: str) -> str | None:
    m = _SECTION.match(line)
    if m:
        return type_from_text(m.group(1))
    return type_from_text(line) if _BARE_SECTION.match(line) else None


def _item_start(line: str) -> tuple[int, str, str] | None:
    for style, regex in (("dot", _ITEM_DOT), ("paren", _ITEM_PAREN), ("ti", _ITEM_TI)):
        m = regex.match(line)
        if m:
            return int(m.group(1)), style, m.group(2).strip()
    return None


class _Paper:
    def __init__(self, lines: list[str]) -> None:
        self.lines = [line for line in lines if line]
        self.sections: list[str | None] = []       # type of each section (heading or restart)
        self.items: list[_Item] = []
        self.errors: list[str] = []
        self.key: list[_KeyEntry] = []
        self.hint: str | None = None
        self.hint_seen: dict[str, int] = {}
        self.seq, self.last_number = 0, None
        self.continuous = True
        self.index: dict[tuple[int | None, int], _Item] = {}

    # ---- items
    def run(self) -> None:
        item: _Item | None = None
        section_type, fresh_section = None, True
        body = self.lines[:next((i for i, line in enumerate(self.lines) if _KEY_HEADING.match(line)), None)]
        started = not any(_section_type(line) for line in body)   # with headings, skip 注意事项 before the first
        for i, line in enumerate(self.lines):
            if not started and not _section_type(line):
                continue
            started = True
            if _KEY_HEADING.match(line):
                if self._starts_key(i, item):
                    self.continuous = len({it.number for it in self.items}) == len(self.items)
                    for rest in self.lines[i + 1:]:
                        self._key_line(rest)
                    return
                item.current = "answer"
                continue
            stype = _section_type(line)
            if stype is not None:
                section_type, fresh_section, item = stype, True, None
                continue
            start = _item_start(line)
            if start and (item is None or fresh_section or start[1] == item.style):
                number, style, rest = start
                if fresh_section or item is None or number <= item.number:
                    self.sections.append(section_type)
                fresh_section = False
                item = _Item(number, len(self.sections) - 1, section_type, style, [])
                self.items.append(item)
                self._stem_text(item, rest)
            elif item is not None:
                self._item_line(item, line)

    def _next(self, i: int) -> str:
        return self.lines[i + 1] if i + 1 < len(self.lines) else ""

    def _starts_key(self, i: int, item: _Item | None) -> bool:
        """Whether the 参考答案 / 答案： line ``i`` starts the answer key rather than labelling the answer of
        ``item``: yes when the next line is clearly a key line; a bare 参考答案 is a key unless plain text follows
        in an unanswered case question; a labelled one (参考答案：) only before a numbered line, and never
        in an unanswered case question."""
        line, nxt = self.lines[i], self._next(i)
        prefix = _KEY_PREFIX.match(nxt)
        if item is None or not nxt or _section_type(nxt) or self._multi(nxt) or (
                prefix and type_from_text(prefix.group(1))):
            return True
        numbered = bool(_ITEM_DOT.match(nxt) or _ITEM_PAREN.match(nxt))
        open_case = item.qtype == "case" and not item.answer
        if re.search(r"[:：】\]]$", line):                  # 参考答案： / 【答案】 labels the answer that follows
            return numbered and not open_case
        return numbered or not open_case

    def _stem_text(self, item: _Item, text: str) -> None:
        if item.qtype in (None, "choice", "single", "multiple") and not item.options:
            text, options = _inline_options(text)
            item.options += options
            if options:
                item.current = "option"
        if text:
            item.stem.append(text)

    def _item_line(self, item: _Item, line: str) -> None:
        m = _ANSWER.match(line)
        if m:
            rest = m.group(1)
            e = _EXPLANATION.search(rest)
            if e:
                item.explanation.append(rest[e.end():])
                rest, item.current = rest[:e.start()].strip(), "explanation"
            else:
                item.current = "answer"
            if rest:
                item.answer.append(rest)
            return
        m = _EXPLANATION.match(line)
        if m:
            item.explanation.append(line[m.end():])
            item.current = "explanation"
            return
        m = _FIELD_LINE.match(line)
        if m:
            name = m.group("a") or m.group("b")
            key = next(k for k, names in _FIELDS.items() if name in names)
            item.fields[key] = m.group("rest").strip()
            item.current = key if key == "scoring" else "none"
            return
        if item.qtype in (None, "choice", "single", "multiple") and item.current in ("stem", "option"):
            options = split_options(line, "ABCDEFGH"[len(item.options)] if len(item.options) < 8 else "I")
            if options:
                item.options += options
                item.current = "option"
                return
        if item.current == "stem":
            self._stem_text(item, line)
        elif item.current == "answer":
            item.answer.append(line)
        elif item.current == "explanation":
            item.explanation.append(line)
        elif item.current == "scoring":
            item.fields["scoring"] += "\n" + line
        else:
            item.errors.append(f"无法识别的内容“{line[:30]}”")

    # ---- answer key
    def _target(self, number: int) -> _Item | None:
        if not self.index:
            self.index = {(None if self.continuous else it.section, it.number): it for it in reversed(self.items)}
        if self.continuous:
            return self.index.get((None, number))
        if self.hint is not None:
            sections = [s for s, t in enumerate(self.sections) if t == self.hint]
            occurrence = self.hint_seen.get(self.hint, 1) - 1
            section = sections[min(occurrence, len(sections) - 1)] if sections else -1
        else:
            section = self.seq
        return self.index.get((section, number))

    def _multi(self, line: str) -> list[tuple[int, int, str]] | None:
        marks = list(_KEY_MARK.finditer(line))
        if not marks or marks[0].start() != 0:
            return None
        out = []
        for m, nxt in zip(marks, marks[1:] + [None]):
            segment = line[m.end():nxt.start() if nxt else len(line)].strip().rstrip("，,;；。")
            if not segment or not _CHOICE_OR_JUDGE.match(segment):
                return None
            out.append((int(m.group(1)), int(m.group(2) or m.group(1)), segment))
        return out

    def _add(self, number: int, answer: str, text: str = "") -> _KeyEntry:
        if self.hint is None and self.last_number is not None and number <= self.last_number:
            self.seq += 1
        self.last_number = number
        entry = _KeyEntry(self._target(number), number, [answer], text=text)
        if entry.item is None:
            self.errors.append(f"参考答案中的第{number}题在试卷中找不到")
        self.key.append(entry)
        return entry

    def _key_line(self, line: str) -> None:
        stype = _section_type(line)
        prefix = _KEY_PREFIX.match(line)
        if stype is None and prefix and type_from_text(prefix.group(1)) and not _EXPLANATION.match(line):
            stype, line = type_from_text(prefix.group(1)), prefix.group(2).strip()
        if stype is not None:
            self.hint, self.last_number = stype, None
            self.hint_seen[stype] = self.hint_seen.get(stype, 0) + 1
            if _section_type(line) is not None:       # a heading, maybe followed by answers on the same line
                rest = re.sub(r"[（(][^）)]*[)）]", "", line)
                digit = re.search(r"\d", rest)
                if digit is None or self._multi(rest[digit.start():]) is None:
                    return
                line = rest[digit.start():]
        last = self.key[-1] if self.key else None
        e = _EXPLANATION.search(line)
        explanation = line[e.end():].strip() if e else None
        line = line[:e.start()].strip() if e else line
        if line:
            entries = self._multi(line)
            style = "dot" if _ITEM_DOT.match(line) else "paren" if _ITEM_PAREN.match(line) else ""
            if entries is not None:
                for first, last_n, segment in entries:
                    self._range(first, last_n, segment)
            elif style and not (last is not None and last.text and last.text != style and not last.explanation):
                single = (_ITEM_DOT if style == "dot" else _ITEM_PAREN).match(line)
                self._add(int(single.group(1)), _ANSWER.sub(r"\1", single.group(2).strip()), text=style)
            elif last is not None and last.text and not last.explanation:
                last.answer.append(line)
            elif last is not None and last.explanation:
                last.explanation.append(line)
            else:
                self.errors.append(f"无法识别的答案行“{line[:40]}”")
                return
        if explanation is not None and self.key:
            self.key[-1].explanation.append(explanation)

    def _range(self, first: int, last: int, segment: str) -> None:
        count = last - first + 1
        if count == 1:
            self._add(first, segment)
            return
        tokens = [t for t in re.split(r"[\s,，、]+", segment) if t]
        if len(tokens) != count:
            tokens = list(re.sub(r"[\s,，、]", "", segment))
        if count < 1 or len(tokens) != count:
            self.errors.append(f"参考答案“{first}-{last} {segment}”的答案个数与题号不符")
            return
        for offset, token in enumerate(tokens):
            self._add(first + offset, token)

    def apply_key(self) -> None:
        for entry in self.key:
            item = entry.item
            if item is None:
                continue
            answer = "\n".join(entry.answer).strip()
            if item.answer:
                own = "\n".join(item.answer).strip()
                if _comparable(own) != _comparable(answer):
                    item.errors.append(f"题目中的答案“{own}”与参考答案中的“{answer}”不一致")
            else:
                item.answer = [answer]
            if entry.explanation and not item.explanation:
                item.explanation = entry.explanation


def _comparable(answer: str):
    """An answer in a form where two spellings of the same answer compare equal (blanks by canonical form)."""
    value = answer_letters(answer) or judge_value(answer)
    if value is not None:
        return value
    return tuple(variants[0] if variants else "" for variants in blank_answer(re.sub(r"\s", "", answer), 0))


def _ref(item: _Item, paper: _Paper) -> str:
    label = TYPE_LABELS.get(item.qtype or "")
    if label:
        return f"第{item.number}题（{label}）"
    if len(paper.sections) > 1:
        return f"第{int_to_cn_numeral(item.section + 1)}部分第{item.number}题"
    return f"第{item.number}题"


def parse_docx(data: bytes, key_prefix: str, start: int = 1) -> ImportPreview:
    """Questions from a Word exam paper; raises UploadError for a rejected or unreadable file."""
    check_upload("import.docx", data, {"docx"})
    check_prefix(key_prefix)
    try:
        doc = Document(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - any reader failure means the file is unusable
        raise UploadError("无法读取该 Word 文件，请确认文件未损坏，用 Word/WPS 另存为 .docx 后重新上传") from None
    paper = _Paper(_document_lines(doc))
    paper.run()
    paper.apply_key()
    preview = ImportPreview(errors=list(paper.errors))
    if not paper.items:
        preview.errors.append("没有找到试题：题目应以“1.”“1、”或“（1）”编号，题型用“一、单项选择题”等标题注明")
    if len(paper.items) > MAX_ITEMS:
        preview.errors.append(f"试题超过 {MAX_ITEMS} 道，请拆分文件后上传")
        return preview
    for n, item in enumerate(paper.items, start):
        ref = _ref(item, paper)
        fields = item.fields
        citations, errors = parse_citations(None, fields.get("citation"))
        spec, more = make_spec(make_key(key_prefix, n), qtype=item.qtype, stem="\n".join(item.stem),
                               options=item.options, answer="\n".join(item.answer).strip(),
                               explanation="\n".join(item.explanation).strip(), difficulty=fields.get("difficulty"),
                               tags=fields.get("tags"), citations=citations, scoring=fields.get("scoring"))
        errors = item.errors + errors + [("没有找到答案" if e == "缺少答案" else e) for e in more]
        preview.items.append(ImportedItem(ref=ref, spec=None if errors else spec,
                                          errors=[f"{ref}：{e}" for e in errors]))
    return preview
