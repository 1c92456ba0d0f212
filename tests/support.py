"""Constants and helpers shared by test modules (importable: tests/ is on sys.path via conftest)."""
PASSWORD = "Passw0rd!"


def attempt_items(dbs, attempt_id: int) -> list:
    """An attempt's items in paper order, each with its question: [(AttemptItem, Question)]."""
    from sqlalchemy import select

    from trainer.banks.models import Question
    from trainer.exams.models import AttemptItem
    rows = list(dbs.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                            .order_by(AttemptItem.position)))
    return [(i, dbs.get(Question, i.question_id)) for i in rows]


def right_answer(q, item):
    """The right answer in the form the browser sends (displayed letters for choices, true/false, the first
    accepted text of each blank; a case has no right answer, so a text of the candidate's own)."""
    from trainer.banks.types import canonical_to_display
    answer = q.answer_value
    if q.type in ("single", "multiple"):
        return canonical_to_display(answer, item.order)
    if q.type == "judge":
        return "true" if answer else "false"
    if q.type == "blank":
        return [v[0] for v in answer]
    return "考生自己的案例作答"


def wrong_answer(q, item):
    """A wrong answer that reveals nothing of the right one: another choice, the opposite, unrelated texts."""
    from trainer.banks.types import LETTERS
    if q.type in ("single", "multiple"):
        good = set(right_answer(q, item))
        return next(c for c in LETTERS[:len(q.option_list)] if c not in good)
    if q.type == "judge":
        return "false" if q.answer_value else "true"
    if q.type == "blank":
        return ["不清楚"] * len(q.answer_value)
    return "不会"


def bank_question_yaml(out: list[str], key: str, qtype: str, stem: str, answer, article: int, *, options=None,
                       tags=()) -> None:
    """Append one published question citing 行政处罚法 `article` to a bank file being written as YAML lines."""
    out.extend([f"  - key: {key}", f"    type: {qtype}", f"    stem: \"{stem}\""])
    if options:
        out.append("    options:")
        out.extend(f"      - \"{o}\"" for o in options)
    out.extend([f"    answer: {answer}", f"    explanation: \"依据第{article}条。\"",
                f"    citations:\n      - {{law: 行政处罚法, article: {article}}}", "    difficulty: 2"])
    if tags:
        out.append(f"    tags: [{', '.join(tags)}]")
    out.append("    status: published")


def loaded_bank(text: str, filename: str):
    """A bank file's BankSpec, failing the test with the loader's issues if it does not load."""
    from trainer.banks.bankfile import load_bank
    spec, issues = load_bank(text, filename)
    assert spec is not None, [str(i) for i in issues]
    return spec


def page_text(resp) -> str:
    """A response's page with tags dropped and entities decoded, for checking visible text."""
    import html
    import re
    return html.unescape(re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def location_path(resp) -> str:
    """The decoded path a redirect points to."""
    from urllib.parse import unquote, urlsplit
    return unquote(urlsplit(resp.headers["Location"]).path)
