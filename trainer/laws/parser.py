"""Pure parser for official Chinese law texts (Markdown, plain text, Word .docx).

No Flask and no database here: the functions take text (or .docx bytes) and return plain
dataclasses. Supported layouts:

* Markdown as in the LawRefBook collection: ``# title``, history lines ``<date> <event>`` up to
  ``<!-- INFO END -->``, ``##`` for 编/章 (and ``## 序言``), ``###`` for 节, articles ``第X条 ...``.
* Plain text / .docx as downloaded from the national law database: title on the first non-empty
  line, history in parentheses (several dates per parenthesis), an optional ``目　　录`` table of
  contents (skipped), headings like ``第一章　总　　则`` and articles ``第一条　...``.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

__all__ = [
    "LawParseError",
    "ParsedArticle",
    "ParsedLaw",
    "cn_numeral_to_int",
    "int_to_cn_numeral",
    "parse_docx",
    "parse_text",
    "split_paragraphs",
]


class LawParseError(ValueError):
    """The text cannot be read as a law; the message is in Simplified Chinese for end users."""


@dataclass(frozen=True)
class ParsedArticle:
    number: int
    label: str
    text: str
    part: str | None = None
    chapter: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class ParsedLaw:
    title: str
    history: list[tuple[str, str]]
    preamble: str | None
    articles: list[ParsedArticle]

    @property
    def version_date(self) -> str | None:
        """ISO date of the last history entry (the version of the text), or None."""
        return self.history[-1][0] if self.history else None


# --------------------------------------------------------------------------- numerals

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_DIGIT_CHARS = "零一二三四五六七八九"


def cn_numeral_to_int(s: str) -> int:
    """Convert a Chinese numeral ("十五", "一百零三", "两千") or Arabic digits to an int."""
    s = s.strip()
    if not s:
        raise ValueError("empty numeral")
    if s.isdecimal():
        return int(s)
    total = 0      # completed 万 groups
    section = 0    # value below 万 accumulated so far
    digit: int | None = None
    for ch in s:
        if ch in _CN_DIGITS:
            value = _CN_DIGITS[ch]
            if digit is not None and digit != 0 and value != 0:
                raise ValueError(f"malformed Chinese numeral: {s!r}")
            digit = value
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch == "万":
            total = (total + section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            raise ValueError(f"not a Chinese numeral: {s!r}")
    return total + section + (digit or 0)


def _below_10000(n: int, leading: bool) -> str:
    """Numeral for 0 < n < 10000; ``leading`` drops the 一 of 一十 (10..19 -> 十..十九)."""
    out: list[str] = []
    zero_pending = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit_value % 10
        if d == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        if not (d == 1 and unit == "十" and leading and not out):
            out.append(_DIGIT_CHARS[d])
        out.append(unit)
    return "".join(out)


def int_to_cn_numeral(n: int) -> str:
    """Convert a non-negative int to a Chinese numeral: 10 -> "十", 103 -> "一百零三"."""
    if n < 0:
        raise ValueError("negative numbers are not supported")
    if n == 0:
        return "零"
    if n < 10000:
        return _below_10000(n, leading=True)
    high, low = divmod(n, 10000)
    result = int_to_cn_numeral(high) + "万"
    if low:
        result += ("零" if low < 1000 else "") + _below_10000(low, leading=False)
    return result


# --------------------------------------------------------------------------- line patterns

_NUM = r"[零〇○一二两三四五六七八九十百千万0-9０-９]+"
_ARTICLE_RE = re.compile(rf"^第({_NUM})条(之[一二三四五六七八九十]+)?(?:\s+(.*))?$")
_HEADING_RE = re.compile(rf"^第({_NUM})(分编|编|章|节)(?:\s+(.*))?$")
_ITEM_RE = re.compile(rf"^[（(]({_NUM})[）)]")
_COMMENT_RE = re.compile(r"^<!--.*-->$")
_EDGE_RE = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")
_SPACE_RE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
_YEAR_CN = "[〇○零一二三四五六七八九]"
_DATE_RE = re.compile(
    r"(\d{4}|" + _YEAR_CN + r"{4})年(\d{1,2}|[一二三四五六七八九十]{1,3})月"
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})日")
# separators left at the end of a history segment: "…通过　根据", "…修正案》、", "…修正案》和"
_EVENT_TAIL_RE = re.compile(r"(?:[\s、，,；;。]|根据|和)+$")


def _clean(line: str) -> str:
    """Strip ordinary, full-width and zero-width spaces from both ends of a line."""
    return _EDGE_RE.sub("", line)


def _squash(text: str) -> str:
    """Remove every space inside ``text`` (for heading names and keyword comparison)."""
    return _SPACE_RE.sub("", text)


def _iso_date(match: re.Match[str]) -> str:
    year_s, month_s, day_s = match.groups()
    if year_s.isdecimal():
        year = int(year_s)
    else:
        year = int("".join(str(_CN_DIGITS[c]) for c in year_s))
    return f"{year:04d}-{cn_numeral_to_int(month_s):02d}-{cn_numeral_to_int(day_s):02d}"


def _history_entries(text: str) -> list[tuple[str, str]]:
    """Split a history text into (ISO date, event) pairs, one per date that starts a segment.

    Dates right after 自/于 ("自2021年7月15日起施行") belong to the preceding event.
    """
    text = text.strip().removeprefix("（").removeprefix("(").removesuffix("）").removesuffix(")")
    starts = [m for m in _DATE_RE.finditer(text)
              if m.start() == 0 or text[m.start() - 1] not in "自于"]
    entries: list[tuple[str, str]] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        event = _EVENT_TAIL_RE.sub("", _clean(text[m.end():end]))
        if event:
            entries.append((_iso_date(m), event))
    return entries


def _front_history(front: list[str]) -> list[tuple[str, str]]:
    """History from the lines between the title and the body.

    A line starting with a date is one entry (Markdown); a parenthesis starting with "（" may
    span several lines and several dates (national database). Other lines are ignored.
    """
    history: list[tuple[str, str]] = []
    i = 0
    while i < len(front):
        line = front[i]
        if line.startswith(("（", "(")):
            block = [line]
            while not block[-1].endswith(("）", ")")) and i + 1 < len(front):
                i += 1
                block.append(front[i])
            history.extend(_history_entries("".join(block)))
        elif _DATE_RE.match(line):
            history.extend(_history_entries(line))
        i += 1
    return history


# --------------------------------------------------------------------------- parsing

class _Builder:
    """Mutable state while walking the lines of one law."""

    def __init__(self) -> None:
        self.title: str | None = None
        self.front: list[str] = []
        self.preamble: list[str] = []
        self.articles: list[ParsedArticle] = []
        self.part: str | None = None
        self.chapter: str | None = None
        self.section: str | None = None
        self.mode = "front"          # front | toc | preamble | body | ignore
        self.toc_first: str | None = None
        self.current: tuple[int, list[str], tuple[str | None, str | None, str | None]] | None = None

    def close_article(self) -> None:
        if self.current is None:
            return
        number, lines, (part, chapter, section) = self.current
        self.articles.append(ParsedArticle(
            number=number, label=f"第{int_to_cn_numeral(number)}条", text="\n".join(lines),
            part=part, chapter=chapter, section=section))
        self.current = None

    def heading(self, numeral: str, kind: str, name: str | None) -> None:
        self.close_article()
        label = f"第{numeral}{kind}"
        heading = f"{label} {_squash(name)}" if name and _squash(name) else label
        if kind == "编":
            self.part, self.chapter, self.section = heading, None, None
        elif kind == "分编":   # sub-parts (民法典) are not stored; they only close the chapter
            self.chapter, self.section = None, None
        elif kind == "章":
            self.chapter, self.section = heading, None
        else:
            self.section = heading
        self.mode = "body"

    def article(self, lineno: int, numeral: str, suffix: str | None, rest: str | None) -> None:
        try:
            number = cn_numeral_to_int(numeral)
        except ValueError:
            raise LawParseError(f"第{lineno}行：无法识别的条号“第{numeral}条”") from None
        if suffix:
            raise LawParseError(f"第{lineno}行：暂不支持“第{numeral}条{suffix}”形式的条文")
        expected = len(self.articles) + (1 if self.current is None else 2)
        if number != expected:
            found = int_to_cn_numeral(number)
            if expected == 1:
                raise LawParseError(f"第{lineno}行：条号应从第一条开始（实际为第{found}条）")
            raise LawParseError(f"第{lineno}行：条号不连续"
                                f"（第{int_to_cn_numeral(expected - 1)}条之后是第{found}条）")
        self.close_article()
        first = _clean(rest or "")
        self.current = (number, [first] if first else [], (self.part, self.chapter, self.section))
        self.mode = "body"

    def feed(self, lineno: int, raw: str) -> None:
        line = _clean(raw)
        if not line or _COMMENT_RE.match(line):
            return
        is_hash = line.startswith("#")
        core = _clean(line.lstrip("#")) if is_hash else line
        if not core:
            return
        key = _squash(core)
        article_m = _ARTICLE_RE.match(core)
        heading_m = _HEADING_RE.match(core)

        if self.title is None:
            if article_m or heading_m:
                raise LawParseError(f"第{lineno}行：缺少法律标题（第一行应为标题）")
            self.title = core
            return
        if self.mode == "toc":
            if self.toc_first is None:
                self.toc_first = key
                return
            if key != self.toc_first and not article_m:
                return              # table-of-contents entry: repeated later in the body
            self.mode = "body"

        if key == "目录" and self.mode == "front":
            self.mode, self.toc_first = "toc", None
        elif key == "序言":
            self.close_article()
            self.mode = "preamble"
        elif heading_m:
            self.heading(*heading_m.groups())
        elif article_m:
            self.article(lineno, *article_m.groups())
        elif is_hash:               # unknown Markdown heading: ends the article, text ignored
            self.close_article()
            if self.mode != "front":
                self.mode = "ignore"
        elif self.mode == "front":
            self.front.append(core)
        elif self.mode == "preamble":
            self.preamble.append(core)
        elif self.mode == "body" and self.current is not None:
            self.current[1].append(core)

    def finish(self) -> ParsedLaw:
        self.close_article()
        if self.title is None:
            raise LawParseError("文本为空，未找到任何内容")
        if not self.articles:
            raise LawParseError("未找到任何条文")
        return ParsedLaw(
            title=self.title,
            history=_front_history(self.front),
            preamble="\n".join(self.preamble) or None,
            articles=list(self.articles),
        )


def _parse_lines(lines: list[str]) -> ParsedLaw:
    builder = _Builder()
    for lineno, raw in enumerate(lines, start=1):
        builder.feed(lineno, raw)
    return builder.finish()


def parse_text(text: str) -> ParsedLaw:
    """Parse a law from Markdown or plain text (national law database .txt download)."""
    if not isinstance(text, str):
        raise TypeError("parse_text expects str; decode the file first")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _parse_lines(text.split("\n"))


def parse_docx(data: bytes) -> ParsedLaw:
    """Parse a law from a Word .docx file (one paragraph per line, soft breaks split lines)."""
    try:
        import docx  # python-docx
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for bad input
        raise LawParseError(f"无法读取Word文件（仅支持.docx格式）：{exc}") from None
    lines: list[str] = []
    for paragraph in document.paragraphs:
        lines.extend(paragraph.text.replace("\r", "\n").split("\n"))
    return _parse_lines(lines)


def split_paragraphs(text: str) -> list[tuple[str, int | None, str]]:
    """Split an article's text into ("paragraph", 款 number, line) and ("item", 项 number, line).

    Paragraph numbers count paragraphs only (1, 2, ...); an item's number comes from its
    "（一）" label, or is None when the label cannot be read.
    """
    result: list[tuple[str, int | None, str]] = []
    paragraph_no = 0
    for raw in text.split("\n"):
        line = _clean(raw)
        if not line:
            continue
        m = _ITEM_RE.match(line)
        if m:
            try:
                number: int | None = cn_numeral_to_int(m.group(1))
            except ValueError:
                number = None
            result.append(("item", number, line))
        else:
            paragraph_no += 1
            result.append(("paragraph", paragraph_no, line))
    return result
