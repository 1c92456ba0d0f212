"""Unit tests for trainer.banks.types (question type registry: normalise, grade, option shuffling)."""
from __future__ import annotations

from itertools import combinations

import pytest

from trainer.banks.types import (
    LETTERS,
    PARTIAL_FRACTION,
    REGISTRY,
    QuestionType,
    ResponseError,
    canonical_to_display,
    display_to_canonical,
    get_type,
    shuffle_options,
)

single, multiple, judge, blank, case = (REGISTRY[c] for c in ("single", "multiple", "judge", "blank", "case"))


# --------------------------------------------------------------------------- registry

def test_registry_has_the_five_types():
    """The registry maps each code to an instance with its Chinese label and template macro."""
    assert {code: (t.label, t.template) for code, t in REGISTRY.items()} == {
        "single": ("单选", "single"), "multiple": ("多选", "multiple"), "judge": ("判断", "judge"),
        "blank": ("填空", "blank"), "case": ("案例分析", "case")}
    assert all(isinstance(t, QuestionType) and t.code == code for code, t in REGISTRY.items())


def test_only_case_is_graded_by_a_person():
    """Every type but case is graded automatically."""
    assert {code for code, t in REGISTRY.items() if not t.auto_graded} == {"case"}


def test_get_type_returns_registered_instance():
    """get_type looks up the registry."""
    assert get_type("blank") is blank


def test_get_type_unknown_raises_key_error():
    """An unknown code raises KeyError with a readable message."""
    with pytest.raises(KeyError, match="未知题型：essay"):
        get_type("essay")


# --------------------------------------------------------------------------- normalise

@pytest.mark.parametrize("raw,expected", [("B", "B"), ("b", "B"), (" C ", "C"), (["D"], "D"), ("Ｂ", "B")])
def test_single_normalise(raw, expected):
    """A single response is one letter (case, spaces and full width ignored)."""
    assert single.normalise(raw, option_count=4) == expected


@pytest.mark.parametrize("raw", ["E", "AB", "", "  ", None, 1, ["A", "B"], "甲"])
def test_single_malformed_raises(raw):
    """Letters beyond the options, several letters, nothing or non-text are malformed."""
    with pytest.raises(ResponseError):
        single.normalise(raw, option_count=4)


def test_single_without_option_count_allows_eight_letters():
    """Without an option count any of A–H is accepted."""
    assert single.normalise("H") == "H"
    with pytest.raises(ResponseError):
        single.normalise("I")


@pytest.mark.parametrize("raw", [["C", "A"], "CA", "c,a", "A、C", "A C", ["A", "C", "A"], ("a", "c")])
def test_multiple_normalise(raw):
    """Multiple responses become unique sorted letters from a list or a string."""
    assert multiple.normalise(raw, option_count=4) == "AC"


@pytest.mark.parametrize("raw", ["", [], "AE", ["A", 2], None, 3, "A1"])
def test_multiple_malformed_raises(raw):
    """Empty selections, letters beyond the options and non-letters are malformed."""
    with pytest.raises(ResponseError):
        multiple.normalise(raw, option_count=4)


@pytest.mark.parametrize("raw,expected", [
    ("true", True), ("false", False), ("TRUE", True), (True, True), (False, False), ("正确", True), ("错", False)])
def test_judge_normalise(raw, expected):
    """Judge responses are "true"/"false" strings or booleans."""
    assert judge.normalise(raw) is expected


@pytest.mark.parametrize("raw", ["yes", "", None, 1, "maybe"])
def test_judge_malformed_raises(raw):
    """Anything else is malformed."""
    with pytest.raises(ResponseError):
        judge.normalise(raw)


def test_blank_normalise_strips_and_folds_full_width():
    """Each blank is stripped and full-width digits/letters become half-width."""
    assert blank.normalise([" ２００元 ", "ＡＢｃ"], blank_count=2) == ("200元", "ABc")


def test_blank_normalise_keeps_empty_blanks():
    """An unanswered blank stays an empty string (graded as wrong)."""
    assert blank.normalise(["", None], blank_count=2) == ("", "")


def test_blank_wrong_count_raises():
    """The number of answers must equal the number of blanks."""
    with pytest.raises(ResponseError, match="2 个空"):
        blank.normalise(["甲"], blank_count=2)


def test_blank_too_long_raises():
    """A blank holds at most 200 characters."""
    assert blank.normalise(["字" * 200], blank_count=1) == ("字" * 200,)
    with pytest.raises(ResponseError):
        blank.normalise(["字" * 201], blank_count=1)


@pytest.mark.parametrize("raw", [[1], {"a": 1}, 5])
def test_blank_non_text_raises(raw):
    """Blanks are strings."""
    with pytest.raises(ResponseError):
        blank.normalise(raw, blank_count=1)


def test_case_normalise_limits_length():
    """Case answers are text of at most 5000 characters (line endings unified, ends stripped)."""
    assert case.normalise("  第一点\r\n第二点  ") == "第一点\n第二点"
    assert len(case.normalise("字" * 5000)) == 5000
    with pytest.raises(ResponseError):
        case.normalise("字" * 5001)
    with pytest.raises(ResponseError):
        case.normalise(["列表"])


# --------------------------------------------------------------------------- grade

def test_single_grading_is_exact():
    """Single: the right letter earns all points, anything else nothing."""
    assert single.grade("B", "B", 2) == 2.0
    assert single.grade("B", "C", 2) == 0.0
    assert single.grade("B", None, 2) == 0.0


def test_multiple_all_or_nothing():
    """Multiple (all_or_nothing): only the exact set earns points."""
    assert multiple.grade("ABD", "ABD", 4) == 4.0
    assert multiple.grade("ABD", "AB", 4) == 0.0
    assert multiple.grade("ABD", "ABCD", 4) == 0.0


def test_multiple_partial_credit_for_a_strict_subset():
    """Multiple (partial, 少选得分): a strict non-empty subset earns PARTIAL_FRACTION of the points."""
    assert PARTIAL_FRACTION == 0.5
    assert multiple.grade("ABD", "AB", 4, policy="partial") == 4 * PARTIAL_FRACTION
    assert multiple.grade("ABD", "D", 4, policy="partial") == 4 * PARTIAL_FRACTION
    assert multiple.grade("ABD", "ABD", 4, policy="partial") == 4.0


def test_multiple_partial_wrong_letter_earns_nothing():
    """Multiple (partial): any wrong letter gives 0, as does an empty response."""
    assert multiple.grade("ABD", "AC", 4, policy="partial") == 0.0
    assert multiple.grade("ABD", "ABCD", 4, policy="partial") == 0.0
    assert multiple.grade("ABD", "", 4, policy="partial") == 0.0
    assert multiple.grade("ABD", None, 4, policy="partial") == 0.0


def test_unknown_policy_raises():
    """An unknown grading policy is a programming error."""
    with pytest.raises(ValueError):
        multiple.grade("AB", "AB", 1, policy="generous")


def test_judge_grading_is_exact():
    """Judge: the right boolean earns all points."""
    assert judge.grade(True, True, 1) == 1.0
    assert judge.grade(True, False, 1) == 0.0
    assert judge.grade(False, False, 1.5) == 1.5
    assert judge.grade(False, None, 1) == 0.0


def test_blank_accepts_any_variant_with_full_width_digits():
    """Blank: a response equal to any variant counts; full-width digits match half-width ones."""
    answer = (("二百元", "200元"),)
    assert blank.grade(answer, ("２００元",), 2) == 2.0
    assert blank.grade(answer, ("二百元",), 2) == 2.0
    assert blank.grade(answer, ("五十元",), 2) == 0.0


def test_blank_ignores_spaces_width_case_and_trailing_punctuation():
    """Blank: spaces, full/half width, letter case and trailing punctuation do not matter."""
    answer = (("实施程序",), ("PM2.5",))
    assert blank.grade(answer, ("实施 程序。", "ｐｍ２．５"), 2) == 2.0
    assert blank.grade(answer, ("实施程序，", "pm 2.5!"), 2) == 2.0


def test_blank_points_are_split_equally():
    """Blank: each right blank earns points / number of blanks."""
    answer = (("实施程序",), ("救济渠道",))
    assert blank.grade(answer, ("实施程序", "复议"), 3) == 1.5
    assert blank.grade(answer, ("", ""), 3) == 0.0
    assert blank.grade(answer, ("救济渠道", "实施程序"), 3) == 0.0   # order matters
    assert blank.grade(answer, None, 3) == 0.0


def test_case_is_graded_by_a_person():
    """Case: grade returns None."""
    assert case.grade("参考答案", "我的答案", 10) is None


def test_describe_answers():
    """Answers are described for people: letters, 正确/错误, canonical blank forms."""
    assert multiple.describe("ABD") == "ABD"
    assert judge.describe(False) == "错误"
    assert blank.describe((("两人", "2人"), ("十五日",))) == "两人；十五日"


# --------------------------------------------------------------------------- shuffling

def test_shuffle_is_a_deterministic_permutation():
    """The same seed always gives the same permutation of range(n)."""
    perm = shuffle_options(6, "attempt-17:xzcf-0001")
    assert sorted(perm) == list(range(6))
    assert shuffle_options(6, "attempt-17:xzcf-0001") == perm


def test_shuffle_differs_between_seeds():
    """Different seeds give different orders (not all the same)."""
    perms = {tuple(shuffle_options(5, f"seed-{i}")) for i in range(20)}
    assert len(perms) > 5


def test_shuffle_edge_sizes():
    """n = 0 and n = 1 give trivial permutations; negative n is refused."""
    assert shuffle_options(0, "x") == []
    assert shuffle_options(1, "x") == [0]
    with pytest.raises(ValueError):
        shuffle_options(-1, "x")


def test_letter_mapping_example():
    """perm[display] = canonical: with [2, 0, 1], displayed A is canonical C."""
    perm = [2, 0, 1]
    assert display_to_canonical("A", perm) == "C"
    assert display_to_canonical("AB", perm) == "AC"
    assert canonical_to_display("C", perm) == "A"
    assert canonical_to_display("AC", perm) == "AB"


@pytest.mark.parametrize("n", [2, 4, 8])
def test_letter_mapping_round_trip(n):
    """display_to_canonical undoes canonical_to_display for every set of letters."""
    perm = shuffle_options(n, f"round-trip-{n}")
    for size in range(1, n + 1):
        for letters in combinations(LETTERS[:n], size):
            canonical = "".join(letters)
            shown = canonical_to_display(canonical, perm)
            assert len(shown) == size and display_to_canonical(shown, perm) == canonical


def test_letter_mapping_rejects_letters_outside_the_options():
    """A letter beyond the shuffled options is an error."""
    with pytest.raises(ValueError):
        display_to_canonical("D", [1, 0, 2])


def test_grading_a_shuffled_response():
    """A response picked in display order grades right once mapped back to canonical letters."""
    perm = shuffle_options(4, "attempt-3:demo-0002")
    shown_answer = canonical_to_display("ACD", perm)
    response = multiple.normalise(list(shown_answer), option_count=4)
    assert multiple.grade("ACD", display_to_canonical(response, perm), 2) == 2.0
