"""Checking bank files against the law library and each other.

Pure: the law text comes through two lookups, `article_text(law, number)` and `preamble_text(law)`.
* `validate_bank(bank, article_text, preamble_text)`: citations resolve, paragraphs exist, blank answers occur
  in the cited text (errors); numbers with units occur in the cited text (warnings).
* `validate_banks(banks)`: bank slugs and question keys are unique.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from trainer.banks.bankfile import TYPES, BankSpec, Citation, Issue, QuestionSpec
from trainer.banks.numbers import WHITESPACE, mentions, numbers_with_units
from trainer.laws.parser import int_to_cn_numeral, split_paragraphs

def _asserted_texts(q: QuestionSpec) -> list[str]:
    """Texts whose numbers must occur in the cited articles: the stem, every option, blank variants and the
    case reference answer. Deliberate distractors are reported too (as warnings), so a reviewer sees them."""
    texts = [q.stem, *q.options]
    if q.type == "blank":
        texts += [v for variants in q.answer for v in variants]
    elif q.type == "case":
        texts.append(q.answer)
    return texts


def validate_bank(bank: BankSpec, article_text: Callable[[str, int], str | None],
                  preamble_text: Callable[[str], str | None]) -> list[Issue]:
    """Check a loaded bank against the law library (current versions) through the two lookups."""
    issues: list[Issue] = []
    cache: dict[tuple[str, int | None], str | None] = {}

    def resolve(c: Citation) -> str | None:
        k = (c.law, None if c.preamble else c.article)
        if k not in cache:
            cache[k] = preamble_text(c.law) if c.preamble else article_text(c.law, c.article)
        return cache[k]

    for q in bank.questions:
        def error(message: str, q: QuestionSpec = q) -> None:
            issues.append(Issue("error", bank.slug, q.key, message))

        texts = []
        for c in q.citations:
            text = resolve(c)
            if text is None and c.preamble:
                # The data package lacks the Constitution's preamble until an official text is imported:
                # the citation cannot be checked yet, but it is not wrong.
                issues.append(Issue("warning", bank.slug, q.key,
                                    f"法规库中尚未导入《{c.law}》的序言，暂无法核对（导入官方文本后即可核对）"))
                continue
            if text is None:
                error(f"出处{c.label}在法规库的现行版本中不存在")
                continue
            if c.paragraph is not None:
                count = sum(1 for kind, _, _ in split_paragraphs(text) if kind == "paragraph")
                if c.paragraph > count:
                    where = f"《{c.law}》序言" if c.preamble else Citation(c.law, c.article).label
                    error(f"{where}只有{count}款，没有第{int_to_cn_numeral(c.paragraph)}款")
            texts.append(text)
        if not q.citations and not q.references:
            error("没有出处：请填写 citations（所引条文）或 references（参考文件）")
        if q.type == "blank":
            squashed = [WHITESPACE.sub("", t) for t in texts]
            if not q.citations:
                issues.append(Issue("warning", bank.slug, q.key, "填空题没有引用条文，无法核对答案"))
            elif texts:
                for variants in q.answer:
                    canonical = WHITESPACE.sub("", variants[0])
                    if not any(canonical in t for t in squashed):
                        error(f"填空答案“{variants[0]}”未出现在所引条文中")
        if texts:
            cited = set().union(*(numbers_with_units(t) for t in texts))
            if any("工作日" in t for t in texts):   # e.g. 行政处罚法第八十五条: "三日"是指工作日
                cited |= {(value, "工作日") for value, unit in cited if unit == "日"}
            reported = set()
            for text in _asserted_texts(q):
                for surface, key in mentions(text):
                    if key not in cited and key not in reported:
                        reported.add(key)
                        issues.append(Issue("warning", bank.slug, q.key, f"数字“{surface}”未出现在所引条文中"))
    return issues


def validate_banks(banks: Iterable[BankSpec]) -> list[Issue]:
    """Checks across banks: bank slugs and question keys are unique."""
    issues: list[Issue] = []
    slugs: set[str] = set()
    owner: dict[str, str] = {}
    for bank in banks:
        if bank.slug in slugs:
            issues.append(Issue("error", bank.slug, None, f"题库标识 {bank.slug} 重复"))
        slugs.add(bank.slug)
        for q in bank.questions:
            if q.key in owner:
                issues.append(Issue("error", bank.slug, q.key, f"试题编号 {q.key} 与题库 {owner[q.key]} 中的试题重复"))
            else:
                owner[q.key] = bank.slug
    return issues


def summary(banks: Iterable[BankSpec]) -> dict[str, dict[str, int]]:
    """{"<slug>": {"single": n, "multiple": n, "judge": n, "blank": n, "case": n}}."""
    out: dict[str, dict[str, int]] = {}
    for bank in banks:
        counts = out.setdefault(bank.slug, dict.fromkeys(TYPES, 0))
        for q in bank.questions:
            counts[q.type] = counts.get(q.type, 0) + 1
    return out
