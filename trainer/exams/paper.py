"""Paper templates (组卷规则) and drawing one paper per candidate.

Pure: no Flask, no database. The caller loads the question pool (one `PoolQuestion` per usable
question) and the exam's `Template`; these functions check whether the pool can fill the template
and draw a deterministic paper for a seed such as f"exam:{exam_id}:user:{user_id}:attempt:{n}", so
every worker process draws the same paper for the same candidate and attempt.

A template is either

* drawn: each `Section` asks for `count` questions of one type, optionally filtered by law, chapter,
  tag, difficulty and bank; or
* fixed: `Template.fixed` lists question ids; each question goes to the section of its type, which
  gives its points (`Template.points_by_type`). A section's `count` must equal the number of fixed
  questions of its type, so `total_points` is known without the pool.

Filters: an empty filter means "any"; within one filter any listed value matches; several filters
must all match (e.g. laws=("行政处罚法",) and difficulties=(2, 3)).

A question (more exactly, a question *key*: all versions of one question share it) is used at most
once per paper. Sections may have overlapping pools; the draw then solves a small bipartite matching
(sections with capacities against keys), so a paper is drawn whenever one exists at all, and
`check_template` reports exactly which sections cannot be satisfied together.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer.banks.types import REGISTRY
from trainer.banks.types import shuffle_options as _option_permutation

__all__ = [
    "DrawnQuestion", "PaperError", "PoolQuestion", "Section", "Template",
    "check_template", "draw", "section_pool",
]

STANDARD_TOTAL = 100.0


class PaperError(ValueError):
    """The template cannot be drawn from the pool; the message is in Simplified Chinese."""


@dataclass(frozen=True)
class PoolQuestion:
    """A question that may be put on a paper, with the attributes the section filters look at."""

    question_id: int
    key: str                                  # stable across versions of the same question
    type: str                                 # "single", "multiple", "judge", "blank", "case"
    difficulty: int
    laws: frozenset[str]                      # law short titles the question cites
    chapters: frozenset[tuple[str, int]]      # (law short title, chapter ordinal)
    tags: frozenset[str]
    bank: str
    option_count: int                         # 0 for types without options


@dataclass(frozen=True)
class Section:
    """One part of the paper (e.g. 单选题 20 题 × 2 分). Empty filters mean "any"."""

    title: str
    type: str
    count: int
    points: float                             # per question
    laws: tuple[str, ...] = ()
    chapters: tuple[tuple[str, int], ...] = ()
    tags: tuple[str, ...] = ()
    difficulties: tuple[int, ...] = ()
    banks: tuple[str, ...] = ()

    def matches(self, question: PoolQuestion) -> bool:
        """Whether the question has this section's type and passes every non-empty filter."""
        return (question.type == self.type
                and (not self.laws or not question.laws.isdisjoint(self.laws))
                and (not self.chapters or not question.chapters.isdisjoint(self.chapters))
                and (not self.tags or not question.tags.isdisjoint(self.tags))
                and (not self.difficulties or question.difficulty in self.difficulties)
                and (not self.banks or question.bank in self.banks))

    def describe_filters(self) -> str:
        """The section's filters in Chinese for the exam page, e.g. "行政处罚法第四章、行政处罚法第五章；难度 2/3"."""
        from trainer.laws.parser import int_to_cn_numeral
        parts = []
        if self.laws:
            parts.append("、".join(self.laws))
        if self.chapters:
            parts.append("、".join(f"{law}第{int_to_cn_numeral(n)}章" for law, n in self.chapters))
        if self.difficulties:
            parts.append("难度 " + "/".join(str(d) for d in self.difficulties))
        if self.tags:
            parts.append("标签 " + "、".join(self.tags))
        if self.banks:
            parts.append("题库 " + "、".join(self.banks))
        return "；".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (chapters as [law, ordinal] lists); empty filters are left out."""
        out: dict[str, Any] = {"title": self.title, "type": self.type, "count": self.count,
                               "points": self.points}
        for name in ("laws", "tags", "difficulties", "banks"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.chapters:
            out["chapters"] = [[law, ordinal] for law, ordinal in self.chapters]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Section:
        """The inverse of `to_dict`; lists become tuples. Raises ValueError for a malformed entry."""
        try:
            return cls(
                title=str(data.get("title", "")),
                type=str(data["type"]),
                count=int(data["count"]),
                points=float(data["points"]),
                laws=tuple(str(x) for x in data.get("laws") or ()),
                chapters=tuple((str(law), int(ordinal)) for law, ordinal in data.get("chapters") or ()),
                tags=tuple(str(x) for x in data.get("tags") or ()),
                difficulties=tuple(int(x) for x in data.get("difficulties") or ()),
                banks=tuple(str(x) for x in data.get("banks") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"组卷规则格式不正确：{exc}") from None


@dataclass(frozen=True)
class Template:
    """A paper template: drawn sections, or a fixed list of question ids (points per type from the sections)."""

    sections: tuple[Section, ...]
    fixed: tuple[int, ...] = ()

    @property
    def is_fixed(self) -> bool:
        return bool(self.fixed)

    @property
    def total_points(self) -> float:
        """Sum of count × points over the sections (for a fixed paper the counts match the fixed list)."""
        return _tidy(sum(s.count * s.points for s in self.sections))

    @property
    def points_by_type(self) -> dict[str, float]:
        """Points per question of each type (the first section of a type wins)."""
        out: dict[str, float] = {}
        for section in self.sections:
            out.setdefault(section.type, float(section.points))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, as stored in `Exam.template`."""
        out: dict[str, Any] = {"sections": [s.to_dict() for s in self.sections]}
        if self.fixed:
            out["fixed"] = list(self.fixed)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Template:
        """The inverse of `to_dict` ({} gives an empty template). Raises ValueError for malformed data."""
        try:
            sections = tuple(Section.from_dict(s) for s in data.get("sections") or ())
            fixed = tuple(int(x) for x in data.get("fixed") or ())
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"组卷规则格式不正确：{exc}") from None
        return cls(sections=sections, fixed=fixed)


@dataclass(frozen=True)
class DrawnQuestion:
    """One question of a drawn paper."""

    position: int                  # 1-based across the whole paper
    section: int                   # index into Template.sections
    question_id: int
    key: str
    type: str
    points: float
    option_order: tuple[int, ...]  # option_order[display position] = canonical index; () without options


# --------------------------------------------------------------------------- helpers

def _tidy(value: float) -> float:
    """Round away float noise (0.1 + 0.2) so totals compare and print cleanly."""
    return round(float(value), 6)


def _num(value: float) -> str:
    """A number for messages: 2 rather than 2.0, 1.5 stays 1.5."""
    return f"{_tidy(value):g}"


def _type_label(code: str) -> str:
    qtype = REGISTRY.get(code)
    return qtype.label if qtype is not None else code


def _where(index: int, section: Section) -> str:
    title = section.title.strip() or f"{_type_label(section.type)}题"
    return f"第{index + 1}部分“{title}”"


def _rank(seed: str, purpose: str, section: int, key: str) -> bytes:
    """A deterministic pseudo-random sort key, independent of the order of the pool."""
    text = f"{seed}\x1f{purpose}\x1f{section}\x1f{key}"
    return hashlib.sha256(text.encode("utf-8")).digest()


def section_pool(section: Section, pool: Iterable[PoolQuestion]) -> list[PoolQuestion]:
    """The questions of the pool that fit the section, in pool order."""
    return [q for q in pool if section.matches(q)]


def _section_keys(section: Section, pool: Iterable[PoolQuestion]) -> dict[str, PoolQuestion]:
    """Key -> the question representing it in this section (the highest id, i.e. the newest version).

    Insertion order follows the pool order of each key's first match.
    """
    out: dict[str, PoolQuestion] = {}
    for q in section_pool(section, pool):
        current = out.get(q.key)
        if current is None or q.question_id > current.question_id:
            out[q.key] = q
    return out


def _structure_errors(template: Template) -> list[str]:
    """Problems with the template itself, before looking at the pool."""
    if not template.sections:
        return ["组卷规则中还没有任何部分"]
    errors: list[str] = []
    for i, section in enumerate(template.sections):
        where = _where(i, section)
        if section.type not in REGISTRY:
            errors.append(f"{where}的题型“{section.type}”不存在")
        if not isinstance(section.count, int) or section.count < 1:
            errors.append(f"{where}的题数必须至少为 1")
        if not math.isfinite(section.points) or section.points <= 0:
            errors.append(f"{where}的每题分值必须大于 0")
    if template.fixed:
        seen: dict[str, int] = {}
        for i, section in enumerate(template.sections):
            if section.type in seen:
                first = seen[section.type]
                errors.append(f"固定试卷中每种题型只能设一个部分：{_where(first, template.sections[first])}"
                              f"和{_where(i, section)}都是{_type_label(section.type)}题")
            else:
                seen[section.type] = i
    return errors


# --------------------------------------------------------------------------- matching

def _assign(orders: Sequence[Sequence[str]], counts: Sequence[int]) -> tuple[dict[str, int], list[int]]:
    """A maximum assignment of keys to sections: each key to at most one section, section i gets <= counts[i].

    orders[i] lists the keys section i may use, in order of preference. Sections are served in
    order, each taking its most preferred free keys; only when a section runs out of free keys are
    earlier choices re-routed (augmenting paths, Kuhn's algorithm with capacities). Without
    overlaps this is plain "take the first counts[i] keys". Returns (owner by key, filled per section).
    """
    owner: dict[str, int] = {}
    filled = [0] * len(orders)
    cursor = [0] * len(orders)      # keys before the cursor are taken (a taken key never becomes free)

    def take_free(s: int) -> bool:
        keys = orders[s]
        while cursor[s] < len(keys):
            key = keys[cursor[s]]
            cursor[s] += 1
            if key not in owner:
                owner[key] = s
                return True
        return False

    def augment(s: int, visited: set[int]) -> bool:
        """Give section s one more key, possibly moving a key from another section that can replace it."""
        if take_free(s):
            return True
        for key in orders[s]:
            t = owner.get(key)
            if t is None or t == s or t in visited:
                continue
            visited.add(t)
            if augment(t, visited):
                owner[key] = s
                return True
        return False

    for s, count in enumerate(counts):
        while filled[s] < count and augment(s, {s}):
            filled[s] += 1
    return owner, filled


def _shortage_messages(sections: Sequence[Section], orders: Sequence[Sequence[str]],
                       owner: Mapping[str, int], filled: Sequence[int]) -> list[str]:
    """Why a maximum assignment left sections short: single sections first, then groups that overlap.

    The sections reachable from a short one through keys (short section -> its key -> the section
    holding it -> ...) form a set whose demand exceeds the keys they can use (Hall's condition);
    each connected group of two or more sections whose shortage is not explained by its members'
    own shortages is reported together.
    """
    messages: list[str] = []
    for i, section in enumerate(sections):
        available = len(orders[i])
        if available < section.count:
            have = f"符合条件的只有 {available} 题" if available else "没有符合条件的试题"
            messages.append(f"{_where(i, section)}需要 {section.count} 题，{have}")

    short = [i for i, section in enumerate(sections) if filled[i] < section.count]
    reached = set(short)
    stack = list(short)
    while stack:
        s = stack.pop()
        for key in orders[s]:
            t = owner.get(key)
            if t is not None and t not in reached:
                reached.add(t)
                stack.append(t)

    # connected groups within the reached sections (sections sharing a usable key)
    parent = {s: s for s in reached}

    def find(s: int) -> int:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    first_user: dict[str, int] = {}
    for s in sorted(reached):
        for key in orders[s]:
            if key in first_user:
                parent[find(s)] = find(first_user[key])
            else:
                first_user[key] = s
    groups: dict[int, list[int]] = {}
    for s in sorted(reached):
        groups.setdefault(find(s), []).append(s)

    for members in sorted(groups.values()):
        if len(members) < 2:
            continue
        need = sum(sections[s].count for s in members)
        have = len({key for s in members for key in orders[s]})
        own_shortage = sum(max(0, sections[s].count - len(orders[s])) for s in members)
        if need - have > own_shortage:
            names = "、".join(_where(s, sections[s]) for s in members)
            messages.append(f"{names}的可选试题重叠：共需要 {need} 题，符合条件的不同试题合计只有 {have} 题"
                            f"（同一道题在一份试卷中只能出现一次）")
    return messages


def _fixed_layout(template: Template, pool: Iterable[PoolQuestion]) -> tuple[list[list[PoolQuestion]], list[str]]:
    """For a fixed paper: the questions of each section in the listed order, and any problems."""
    by_id = {q.question_id: q for q in pool}
    section_of_type: dict[str, int] = {}
    for i, section in enumerate(template.sections):
        section_of_type.setdefault(section.type, i)
    chosen: list[list[PoolQuestion]] = [[] for _ in template.sections]
    errors: list[str] = []
    seen_ids: set[int] = set()
    seen_keys: dict[str, int] = {}
    for qid in template.fixed:
        if qid in seen_ids:
            errors.append(f"试题 #{qid} 在固定试题中重复出现")
            continue
        seen_ids.add(qid)
        q = by_id.get(qid)
        if q is None:
            errors.append(f"试题 #{qid} 不存在或已停用")
            continue
        if q.key in seen_keys:
            errors.append(f"试题 #{qid} 与 #{seen_keys[q.key]} 是同一道题的不同版本，不能同时出现")
            continue
        seen_keys[q.key] = qid
        index = section_of_type.get(q.type)
        if index is None:
            errors.append(f"试题 #{qid} 是{_type_label(q.type)}题，组卷规则中没有该题型的部分，无法确定分值")
            continue
        chosen[index].append(q)
    for i, section in enumerate(template.sections):
        if section_of_type.get(section.type) == i and len(chosen[i]) != section.count:
            errors.append(f"{_where(i, section)}设定为 {section.count} 题，"
                          f"固定试题中{_type_label(section.type)}题有 {len(chosen[i])} 题")
    return chosen, errors


# --------------------------------------------------------------------------- public API

def check_template(template: Template, pool: Sequence[PoolQuestion]) -> tuple[list[str], list[str]]:
    """(errors, warnings) in Chinese for an exam editor.

    Errors make drawing impossible: malformed sections, sections their pools cannot fill (counting
    that a question serves one section only, so overlapping sections are checked together), and,
    for a fixed paper, unknown, repeated or unassignable questions. Warnings do not: a total other
    than 100 points, or a drawn section whose pool is exactly its count (every candidate gets the
    same questions).
    """
    errors = _structure_errors(template)
    warnings: list[str] = []
    if template.sections and not math.isclose(template.total_points, STANDARD_TOTAL, abs_tol=1e-6):
        warnings.append(f"试卷总分为 {_num(template.total_points)} 分，不是 100 分"
                        f"（及格线按百分制折算）")
    if errors:
        return errors, warnings

    if template.fixed:
        _, fixed_errors = _fixed_layout(template, pool)
        return errors + fixed_errors, warnings

    orders = [list(_section_keys(section, pool)) for section in template.sections]
    owner, filled = _assign(orders, [s.count for s in template.sections])
    if any(filled[i] < s.count for i, s in enumerate(template.sections)):
        errors.extend(_shortage_messages(template.sections, orders, owner, filled))
    else:
        for i, section in enumerate(template.sections):
            if len(orders[i]) == section.count:
                warnings.append(f"{_where(i, section)}符合条件的试题恰好 {section.count} 题，"
                                f"每位考生抽到的题目相同（仅顺序不同）")
    return errors, warnings


def draw(template: Template, pool: Sequence[PoolQuestion], seed: str, *,
         shuffle_questions: bool = True, shuffle_options: bool = True) -> list[DrawnQuestion]:
    """The paper for one seed: sections in template order, positions numbered 1.. across the paper.

    Drawn template: each section gets `count` questions of distinct keys (no key twice on the paper),
    chosen pseudo-randomly from the seed; the result does not depend on the order of `pool`.
    Fixed template: the listed questions, each in the section of its type.
    With shuffle_questions the order within each section is shuffled by the seed (otherwise pool
    order, or the fixed list's order); with shuffle_options single/multiple questions get a seeded
    option permutation (otherwise the identity). Raises PaperError when the pool cannot fill it.
    """
    errors = _structure_errors(template)
    if errors:
        raise PaperError("；".join(errors))

    if template.fixed:
        chosen, errors = _fixed_layout(template, pool)
        if errors:
            raise PaperError("；".join(errors))
    else:
        by_section = [_section_keys(section, pool) for section in template.sections]
        orders = [sorted(keys, key=lambda k, i=i: _rank(seed, "pick", i, k))
                  for i, keys in enumerate(by_section)]
        owner, filled = _assign(orders, [s.count for s in template.sections])
        if any(filled[i] < s.count for i, s in enumerate(template.sections)):
            raise PaperError("；".join(_shortage_messages(template.sections, orders, owner, filled)))
        chosen = [[q for key, q in keys.items() if owner.get(key) == i]
                  for i, keys in enumerate(by_section)]

    paper: list[DrawnQuestion] = []
    for i, (section, questions) in enumerate(zip(template.sections, chosen)):
        if shuffle_questions:
            questions = sorted(questions, key=lambda q, i=i: _rank(seed, "order", i, q.key))
        for q in questions:
            if REGISTRY[q.type].has_options:
                order = (tuple(_option_permutation(q.option_count, f"{seed}:options:{q.key}"))
                         if shuffle_options else tuple(range(q.option_count)))
            else:
                order = ()
            paper.append(DrawnQuestion(position=len(paper) + 1, section=i, question_id=q.question_id,
                                       key=q.key, type=q.type, points=float(section.points),
                                       option_order=order))
    return paper
