"""Numbers with units in Chinese legal text: 二百元 = 200元, 十五日 = 15天, 三个工作日, 百分之三十 = 30%.

Pure. Bank validation compares the numbers a question asserts with those of its cited articles; the question
generator finds time limits, amounts and shares in article text with the same recognition.
"""
from __future__ import annotations

import re

from trainer.laws.parser import cn_numeral_to_int

_CN_NUM_CHARS = "零〇○一二两三四五六七八九十百千万"
_NUMBER = rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?[万千百]?|[{_CN_NUM_CHARS}]+)"
MENTION_RE = re.compile(
    rf"(?<![第{_CN_NUM_CHARS}\d.,])"
    rf"(?:百分之(?P<pct>{_NUMBER})"
    rf"|(?P<num>{_NUMBER})(?:个工作(?P<workday>日|天)|个?(?P<unit>小时|月|日|天|年|元|人(?!民)|%|倍)))")
DATE_RE = re.compile(  # dates are not amounts or time limits: 2021年1月22日, 二〇二一年, 三月五日
    r"(?:\d{4}|[〇○零一二三四五六七八九]{4})年(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})月"
    r"(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})[日号])?)?"
    r"|(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})[日号]")
WHITESPACE = re.compile(r"\s+")
FULL_WIDTH = {**{0xFF10 + i: 0x30 + i for i in range(10)}, 0xFF05: 0x25, 0xFF0E: 0x2E}
_MULTIPLIER = {"": 1, "百": 100, "千": 1000, "万": 10000}
UNITS = {"日": "日", "天": "日", "月": "个月", "年": "年", "元": "元", "人": "人", "%": "%", "倍": "倍",
         "小时": "小时"}


def cn_number(s: str) -> int | None:
    """The value of a Chinese or Arabic numeral ("十五", "两千", "一百零三", "3000", "5万"), else None."""
    s = s.strip().translate(FULL_WIDTH).replace(",", "")
    m = re.fullmatch(r"(\d+)([百千万]?)", s)
    if m:
        return int(m.group(1)) * _MULTIPLIER[m.group(2)]
    if not s or s[0] == "万":
        return None
    try:
        return cn_numeral_to_int(s)
    except ValueError:
        return None


def numeral_value(numeral: str) -> int | float | None:
    """The value of a numeral as matched by MENTION_RE (decimals too: "1.5万" -> 15000)."""
    m = re.fullmatch(r"(\d+(?:,\d{3})*\.\d+)([百千万]?)", numeral)
    if not m:
        return cn_number(numeral)
    value = float(m.group(1).replace(",", "")) * _MULTIPLIER[m.group(2)]
    return int(value) if value.is_integer() else value


def mentions(text: str) -> list[tuple[str, tuple[int | float, str]]]:
    """(surface, (value, unit)) for every number with a unit in the text; dates are skipped."""
    text = DATE_RE.sub("|", WHITESPACE.sub("", text).translate(FULL_WIDTH))
    out = []
    for m in MENTION_RE.finditer(text):
        if m.group("pct"):
            value, unit = numeral_value(m.group("pct")), "%"
        else:
            value = numeral_value(m.group("num"))
            unit = "工作日" if m.group("workday") else UNITS[m.group("unit")]
        if value is not None:
            out.append((m.group(0), (value, unit)))
    return out


def numbers_with_units(text: str) -> set[tuple[int | float, str]]:
    """{(value, unit)}: 二百元 and 200元 -> (200, "元"); 十五日/15天 -> (15, "日"); 三个工作日 -> (3, "工作日");
    六个月 -> (6, "个月"); 百分之三十/30% -> (30, "%"). Ordinals (第三人) and dates are not counted."""
    return {key for _, key in mentions(text)}
