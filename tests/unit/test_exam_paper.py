"""Unit tests for trainer.exams.paper (paper templates, checking them against a pool, drawing papers)."""
from __future__ import annotations

import pytest

from trainer.exams.paper import (
    DrawnQuestion, PaperError, PoolQuestion, Section, Template, check_template, draw, section_pool,
)

SEED = "exam:7:user:42:attempt:1"


def q(qid, type="single", *, key=None, difficulty=1, laws=("行政处罚法",), chapters=(), tags=(),
      bank="通用", options=None):
    if options is None:
        options = {"single": 4, "multiple": 5}.get(type, 0)
    return PoolQuestion(question_id=qid, key=key or f"k{qid}", type=type, difficulty=difficulty,
                        laws=frozenset(laws), chapters=frozenset(chapters), tags=frozenset(tags),
                        bank=bank, option_count=options)


def make_pool(n_single=30, n_multiple=15, n_judge=20):
    pool, qid = [], 1
    for type, n in (("single", n_single), ("multiple", n_multiple), ("judge", n_judge)):
        for _ in range(n):
            pool.append(q(qid, type, difficulty=1 + qid % 3))
            qid += 1
    return pool


STANDARD = Template(sections=(
    Section("单选题", "single", 20, 2.0),
    Section("多选题", "multiple", 10, 3.0),
    Section("判断题", "judge", 15, 2.0),
))


def ids(paper):
    return [d.question_id for d in paper]


# --------------------------------------------------------------------------- template basics

def test_total_points_sums_count_times_points():
    """total_points is the sum of count × points, free of float noise."""
    assert STANDARD.total_points == 100.0
    assert Template(sections=(Section("a", "single", 3, 0.1),)).total_points == 0.3


def test_points_by_type_takes_the_first_section_of_each_type():
    """points_by_type maps each type to the points of its (first) section."""
    t = Template(sections=(Section("a", "single", 1, 2), Section("b", "judge", 1, 1), Section("c", "single", 1, 5)))
    assert t.points_by_type == {"single": 2.0, "judge": 1.0}


def test_template_round_trips_through_a_dict():
    """to_dict/from_dict round-trip a template, chapters and filters included (JSON stores lists)."""
    t = Template(sections=(Section("单选题", "single", 5, 2, laws=("行政处罚法",), chapters=(("行政处罚法", 3),),
                                   tags=("程序",), difficulties=(2, 3), banks=("通用",)),), fixed=(3, 1))
    assert Template.from_dict(t.to_dict()) == t
    assert Template.from_dict({}) == Template(sections=())


def test_template_from_malformed_dict_raises_value_error():
    """A section without a type or with a non-numeric count is rejected with a Chinese message."""
    with pytest.raises(ValueError, match="组卷规则格式不正确"):
        Template.from_dict({"sections": [{"title": "x", "count": 3, "points": 1}]})
    with pytest.raises(ValueError, match="组卷规则格式不正确"):
        Template.from_dict({"sections": [{"type": "single", "count": "many", "points": 1}]})


# --------------------------------------------------------------------------- section_pool

def test_section_pool_filters_by_type_only_when_filters_are_empty():
    """An empty filter means any: only the type restricts the pool."""
    pool = make_pool(5, 3, 2)
    assert [x.question_id for x in section_pool(Section("s", "multiple", 1, 1), pool)] == [6, 7, 8]


def test_section_pool_applies_every_filter():
    """Laws, chapters, tags, difficulties and banks each restrict the pool; any listed value matches."""
    pool = [
        q(1, laws=("行政处罚法",), chapters=(("行政处罚法", 5),), tags=("程序",), difficulty=2, bank="A"),
        q(2, laws=("行政强制法",), chapters=(("行政强制法", 5),), tags=("程序",), difficulty=2, bank="A"),
        q(3, laws=("行政处罚法",), chapters=(("行政处罚法", 4),), tags=("程序",), difficulty=2, bank="A"),
        q(4, laws=("行政处罚法",), chapters=(("行政处罚法", 5),), tags=("实体",), difficulty=2, bank="A"),
        q(5, laws=("行政处罚法",), chapters=(("行政处罚法", 5),), tags=("程序",), difficulty=1, bank="A"),
        q(6, laws=("行政处罚法",), chapters=(("行政处罚法", 5),), tags=("程序",), difficulty=2, bank="B"),
        q(7, "judge", laws=("行政处罚法",), chapters=(("行政处罚法", 5),), tags=("程序",), difficulty=2, bank="A"),
    ]
    section = Section("s", "single", 1, 1, laws=("行政处罚法", "城乡规划法"), chapters=(("行政处罚法", 5),),
                      tags=("程序", "其他"), difficulties=(2, 3), banks=("A",))
    assert [x.question_id for x in section_pool(section, pool)] == [1]
    assert len(section_pool(Section("s", "single", 1, 1, laws=("行政强制法",)), pool)) == 1


# --------------------------------------------------------------------------- draw

def test_draw_is_deterministic_per_seed():
    """The same template, pool and seed always give the same paper, whatever the pool order."""
    pool = make_pool()
    first = draw(STANDARD, pool, SEED)
    assert draw(STANDARD, pool, SEED) == first
    assert draw(STANDARD, list(reversed(pool)), SEED) == first


def test_different_seeds_give_different_papers():
    """Other candidates (seeds) get other questions or orders."""
    pool = make_pool()
    papers = {tuple(ids(draw(STANDARD, pool, f"exam:7:user:{u}:attempt:1"))) for u in range(10)}
    assert len(papers) == 10
    chosen = {frozenset(ids(draw(STANDARD, pool, f"exam:7:user:{u}:attempt:1"))) for u in range(10)}
    assert len(chosen) > 1


def test_draw_has_no_repeated_question_or_key():
    """No question id and no question key appears twice on a paper."""
    pool = make_pool()
    for u in range(20):
        paper = draw(STANDARD, pool, f"s{u}")
        assert len(set(ids(paper))) == len(paper)
        assert len({d.key for d in paper}) == len(paper)


def test_draw_section_counts_types_points_and_positions():
    """Each section gets its count of its type with its points; positions run 1..n in section order."""
    paper = draw(STANDARD, make_pool(), SEED)
    assert len(paper) == 45
    assert [d.position for d in paper] == list(range(1, 46))
    assert [d.section for d in paper] == [0] * 20 + [1] * 10 + [2] * 15
    for d in paper:
        section = STANDARD.sections[d.section]
        assert d.type == section.type
        assert d.points == section.points
    assert sum(d.points for d in paper) == pytest.approx(100)
    assert all(isinstance(d, DrawnQuestion) for d in paper)


def test_option_order_is_a_permutation_for_choice_questions_only():
    """Single/multiple questions get a permutation of their options; judge questions get ()."""
    pool = make_pool()
    paper = draw(STANDARD, pool, SEED)
    by_id = {x.question_id: x for x in pool}
    for d in paper:
        if d.type in ("single", "multiple"):
            assert sorted(d.option_order) == list(range(by_id[d.question_id].option_count))
        else:
            assert d.option_order == ()
    assert any(d.option_order != tuple(range(len(d.option_order))) for d in paper if d.option_order)


def test_without_shuffling_options_the_order_is_the_identity():
    """shuffle_options=False keeps the canonical option order."""
    paper = draw(STANDARD, make_pool(), SEED, shuffle_options=False)
    for d in paper:
        assert d.option_order == tuple(range(len(d.option_order)))
        assert (len(d.option_order) > 0) == (d.type in ("single", "multiple"))


def test_without_shuffling_questions_pool_order_is_kept_within_sections():
    """shuffle_questions=False keeps the pool order inside each section (the selection is still seeded)."""
    paper = draw(STANDARD, make_pool(), SEED, shuffle_questions=False)
    for s in range(3):
        section_ids = [d.question_id for d in paper if d.section == s]
        assert section_ids == sorted(section_ids)
    shuffled = draw(STANDARD, make_pool(), SEED)
    assert set(ids(paper)) == set(ids(shuffled)) and ids(paper) != ids(shuffled)


def test_draw_uses_the_whole_pool_when_it_exactly_fits():
    """A pool exactly the size of the section yields all of its questions."""
    t = Template(sections=(Section("判断题", "judge", 20, 5),))
    assert set(ids(draw(t, make_pool(), SEED))) == set(range(46, 66))


def test_versions_of_one_key_are_never_both_drawn():
    """Two versions sharing a key count once; the newest (highest id) version represents the key."""
    pool = [q(1, key="a"), q(2, key="a"), q(3, key="b")]
    t = Template(sections=(Section("单选题", "single", 2, 50),))
    assert sorted(ids(draw(t, pool, SEED))) == [2, 3]
    with pytest.raises(PaperError):
        draw(Template(sections=(Section("单选题", "single", 3, 1),)), pool, SEED)


def test_overlapping_sections_are_drawn_whenever_possible():
    """A broad section leaves the narrow section's only questions to it (matching, not first come first served)."""
    narrow = [q(i, laws=("行政强制法",)) for i in range(1, 6)]
    broad = [q(i, laws=("行政处罚法",)) for i in range(6, 11)]
    pool = narrow + broad
    t = Template(sections=(Section("单选题", "single", 5, 10),
                           Section("强制法单选", "single", 5, 10, laws=("行政强制法",))))
    for u in range(20):
        paper = draw(t, pool, f"s{u}")
        assert sorted(d.question_id for d in paper if d.section == 1) == [1, 2, 3, 4, 5]
        assert sorted(d.question_id for d in paper if d.section == 0) == [6, 7, 8, 9, 10]


def test_pool_too_small_raises_paper_error_in_chinese():
    """A section its pool cannot fill raises PaperError (a ValueError) naming the section and the numbers."""
    pool = make_pool(n_multiple=6)
    with pytest.raises(PaperError, match="第2部分“多选题”需要 10 题，符合条件的只有 6 题") as info:
        draw(STANDARD, pool, SEED)
    assert isinstance(info.value, ValueError)


def test_draw_rejects_a_malformed_template():
    """Unknown types, zero counts and non-positive points are refused before drawing."""
    with pytest.raises(PaperError, match="题型“essay”不存在"):
        draw(Template(sections=(Section("论述", "essay", 1, 10),)), make_pool(), SEED)
    with pytest.raises(PaperError, match="题数必须至少为 1"):
        draw(Template(sections=(Section("单选题", "single", 0, 10),)), make_pool(), SEED)
    with pytest.raises(PaperError, match="分值必须大于 0"):
        draw(Template(sections=(Section("单选题", "single", 1, 0),)), make_pool(), SEED)
    with pytest.raises(PaperError, match="还没有任何部分"):
        draw(Template(sections=()), make_pool(), SEED)


# --------------------------------------------------------------------------- fixed papers

FIXED = Template(sections=(Section("单选题", "single", 2, 30), Section("判断题", "judge", 2, 20)),
                 fixed=(46, 3, 1, 47))


def test_fixed_paper_puts_listed_questions_in_their_type_sections():
    """A fixed paper uses exactly the listed questions, each in its type's section with that section's points."""
    paper = draw(FIXED, make_pool(), SEED, shuffle_questions=False)
    assert [(d.question_id, d.section, d.points) for d in paper] == [
        (3, 0, 30.0), (1, 0, 30.0), (46, 1, 20.0), (47, 1, 20.0)]
    shuffled = draw(FIXED, make_pool(), SEED)
    assert sorted(ids(shuffled)) == [1, 3, 46, 47]
    assert [d.section for d in shuffled] == [0, 0, 1, 1]


def test_fixed_paper_problems_are_reported():
    """Unknown, repeated or same-key ids, types without a section and count mismatches are errors."""
    pool = make_pool() + [q(100, key="k1")]
    t = Template(sections=(Section("单选题", "single", 2, 30), Section("判断题", "judge", 2, 20)),
                 fixed=(1, 1, 999, 100, 31, 46, 47))
    errors, _ = check_template(t, pool)
    text = "\n".join(errors)
    assert "试题 #1 在固定试题中重复出现" in text
    assert "试题 #999 不存在或已停用" in text
    assert "试题 #100 与 #1 是同一道题的不同版本" in text
    assert "试题 #31 是多选题，组卷规则中没有该题型的部分" in text
    assert "第1部分“单选题”设定为 2 题，固定试题中单选题有 1 题" in text
    with pytest.raises(PaperError):
        draw(t, pool, SEED)


def test_fixed_paper_needs_one_section_per_type():
    """Two sections of one type make a fixed paper's points ambiguous."""
    t = Template(sections=(Section("单选一", "single", 1, 50), Section("单选二", "single", 1, 50)), fixed=(1, 2))
    errors, _ = check_template(t, make_pool())
    assert any("每种题型只能设一个部分" in e for e in errors)


# --------------------------------------------------------------------------- check_template

def test_check_template_accepts_a_fillable_template():
    """A template its pool can fill, totalling 100, has neither errors nor warnings."""
    assert check_template(STANDARD, make_pool()) == ([], [])


def test_check_template_reports_an_under_filled_section():
    """A section with too few matching questions is an error naming the part, its title and the numbers."""
    errors, warnings = check_template(STANDARD, make_pool(n_multiple=6))
    assert errors == ["第2部分“多选题”需要 10 题，符合条件的只有 6 题"]
    assert warnings == []


def test_check_template_reports_an_empty_pool():
    """A section with no matching question at all says so."""
    t = Template(sections=(Section("填空题", "blank", 5, 20),))
    errors, _ = check_template(t, make_pool())
    assert errors == ["第1部分“填空题”需要 5 题，没有符合条件的试题"]


def test_check_template_reports_overlapping_sections_that_cannot_both_be_filled():
    """Two sections each fillable alone but sharing too few questions are reported together."""
    pool = [q(i, laws=("行政强制法",)) for i in range(1, 6)] + [q(i) for i in range(6, 9)]
    t = Template(sections=(Section("单选题", "single", 5, 10),
                           Section("强制法单选", "single", 5, 10, laws=("行政强制法",)),
                           Section("判断题", "judge", 1, 10)))
    errors, _ = check_template(t, pool + [q(50, "judge")])
    assert errors == ["第1部分“单选题”、第2部分“强制法单选”的可选试题重叠：共需要 10 题，"
                      "符合条件的不同试题合计只有 8 题（同一道题在一份试卷中只能出现一次）"]
    with pytest.raises(PaperError, match="可选试题重叠"):
        draw(t, pool + [q(50, "judge")], SEED)


def test_check_template_accepts_overlapping_sections_that_fit_together():
    """Overlapping pools are fine when the sections can be filled together."""
    pool = [q(i, laws=("行政强制法",)) for i in range(1, 6)] + [q(i) for i in range(6, 11)]
    t = Template(sections=(Section("单选题", "single", 5, 10),
                           Section("强制法单选", "single", 5, 10, laws=("行政强制法",))))
    errors, _ = check_template(t, pool)
    assert errors == []


def test_check_template_does_not_repeat_a_shortage_as_an_overlap():
    """An overlap whose shortage is just one section's own shortage is reported once, for that section."""
    pool = [q(i, laws=("行政强制法",)) for i in range(1, 4)] + [q(i) for i in range(4, 20)]
    t = Template(sections=(Section("单选题", "single", 5, 10),
                           Section("强制法单选", "single", 5, 10, laws=("行政强制法",))))
    errors, _ = check_template(t, pool)
    assert errors == ["第2部分“强制法单选”需要 5 题，符合条件的只有 3 题"]


def test_check_template_warns_when_total_is_not_100():
    """A total other than 100 points is only a warning."""
    t = Template(sections=(Section("单选题", "single", 20, 2), Section("判断题", "judge", 15, 2)))
    errors, warnings = check_template(t, make_pool())
    assert errors == []
    assert len(warnings) == 1 and "试卷总分为 70 分，不是 100 分" in warnings[0]


def test_check_template_warns_when_a_pool_exactly_fits():
    """A section whose pool is exactly its count gives every candidate the same questions: a warning."""
    t = Template(sections=(Section("判断题", "judge", 20, 5),))
    errors, warnings = check_template(t, make_pool())
    assert errors == []
    assert warnings == ["第1部分“判断题”符合条件的试题恰好 20 题，每位考生抽到的题目相同（仅顺序不同）"]


def test_check_template_structure_errors():
    """Malformed sections are errors; an untitled section is named by its type."""
    t = Template(sections=(Section("", "single", 0, 2), Section("论述", "essay", 1, 10)))
    errors, _ = check_template(t, make_pool())
    assert errors == ["第1部分“单选题”的题数必须至少为 1", "第2部分“论述”的题型“essay”不存在"]


def test_check_and_draw_agree_with_halls_condition_on_random_templates():
    """Errors appear exactly when some set of sections needs more questions than it can use (Hall's condition)."""
    import itertools
    import random

    rng = random.Random(20240301)
    tags = ["t1", "t2", "t3", "t4"]
    for case in range(300):
        pool = [q(i, tags=rng.sample(tags, rng.randint(1, 2))) for i in range(1, rng.randint(2, 10))]
        sections = tuple(Section(f"s{j}", "single", rng.randint(1, 4), 1, tags=tuple(rng.sample(tags, rng.randint(1, 2))))
                         for j in range(rng.randint(1, 4)))
        t = Template(sections=sections)
        usable = [{x.key for x in section_pool(s, pool)} for s in sections]
        feasible = all(
            len(set().union(*(usable[i] for i in subset))) >= sum(sections[i].count for i in subset)
            for r in range(1, len(sections) + 1) for subset in itertools.combinations(range(len(sections)), r))
        errors, _ = check_template(t, pool)
        assert (errors == []) == feasible, (case, errors)
        if feasible:
            paper = draw(t, pool, f"seed{case}")
            assert len({d.key for d in paper}) == len(paper) == sum(s.count for s in sections)
            for d in paper:
                assert d.key in usable[d.section]
        else:
            with pytest.raises(PaperError):
                draw(t, pool, f"seed{case}")
