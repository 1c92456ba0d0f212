"""Writing bank files: `dump_bank(bank)` gives the format-1 YAML that `load_bank` reads back unchanged
(`load_bank(dump_bank(b), ...) == (b, [])`)."""
from __future__ import annotations

from typing import Any

import yaml

from trainer.banks.bankfile import BankSpec, Citation, QuestionSpec

class _Flow(list):
    """A list written in flow style: [a, b]."""


class _FlowMap(dict):
    """A mapping written in flow style: {law: 宪法, article: 1}."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)   # indent list items under their key

    def ignore_aliases(self, data):
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))


def _dump_citation(c: Citation) -> _FlowMap:
    out = _FlowMap(law=c.law)
    if c.preamble:
        out["preamble"] = True
    else:
        out["article"] = c.article
    if c.paragraph is not None:
        out["paragraph"] = c.paragraph
    return out


def _dump_question(q: QuestionSpec) -> dict:
    out: dict[str, Any] = {"key": q.key, "type": q.type, "stem": q.stem}
    if q.type in ("single", "multiple"):
        out["options"] = list(q.options)
    out["answer"] = _Flow(_Flow(v) for v in q.answer) if q.type == "blank" else q.answer
    if q.type == "case":
        out["scoring_points"] = [
            {"point": p.point, "score": int(p.score) if float(p.score).is_integer() else p.score}
            for p in q.scoring_points]
    out["explanation"] = q.explanation
    out["citations"] = [_dump_citation(c) for c in q.citations] or _Flow()
    out["difficulty"] = q.difficulty
    out["tags"] = _Flow(q.tags)
    if q.references:
        out["references"] = _Flow(q.references)
    out["status"] = q.status
    return out


def dump_bank(bank: BankSpec) -> str:
    """The bank as a format-1 YAML file (block style, Chinese as is, fields in the README order)."""
    data = {"format": bank.format, "bank": bank.slug, "title": bank.title, "course": bank.course,
            "questions": [_dump_question(q) for q in bank.questions]}
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000,
                     default_flow_style=False)
