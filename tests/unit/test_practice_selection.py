"""Unit tests for trainer.practice.selection (quiz picking, filters, daily mix, option shuffling)."""
from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone

import pytest

from trainer.banks.types import shuffle_options
from trainer.practice.selection import Candidate, filter_candidates, mix_daily, pick, shuffle_for

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)


def cand(key, times=0, last=None, *, qid=None, type="single", difficulty=1):
    if times and last is None:
        last = T0
    return Candidate(question_id=qid if qid is not None else zlib.crc32(key.encode()), key=key,
                     times_answered=times, last_answered_at=last, type=type, difficulty=difficulty)


def keys(cands):
    return [c.key for c in cands]


# --------------------------------------------------------------------------- pick

def test_unseen_questions_come_first():
    """Never-answered questions are picked before any answered one."""
    pool = [cand("a", 1), cand("b", 0), cand("c", 5), cand("d", 0), cand("e", 2)]
    assert set(keys(pick(pool, 2, "s"))) == {"b", "d"}
    assert set(keys(pick(pool, 5, "s")[:2])) == {"b", "d"}


def test_least_answered_next():
    """After the unseen ones, fewer answers come before more answers."""
    pool = [cand("many", 9), cand("one", 1), cand("new", 0), cand("three", 3)]
    assert keys(pick(pool, 4, "s")) == ["new", "one", "three", "many"]


def test_ties_on_count_go_to_longest_since_answered():
    """Equally often answered questions: the one answered longest ago comes first."""
    pool = [cand("recent", 2, T0), cand("old", 2, T0 - timedelta(days=30)),
            cand("middle", 2, T0 - timedelta(days=3))]
    assert keys(pick(pool, 3, "s")) == ["old", "middle", "recent"]


def test_full_ties_are_shuffled_by_seed():
    """Complete ties (same count and time) are ordered by the seed, not by input order."""
    pool = [cand(f"k{i}", 1, T0) for i in range(20)]
    orders = {tuple(keys(pick(pool, 20, f"seed{s}"))) for s in range(5)}
    assert len(orders) > 1


def test_unseen_order_varies_with_seed():
    """The random order among never-answered questions depends on the seed."""
    pool = [cand(f"k{i}") for i in range(20)]
    assert keys(pick(pool, 20, "x")) != keys(pick(pool, 20, "y"))


def test_no_repeated_keys():
    """Several versions of one key yield a single pick."""
    pool = [cand("a", qid=1), cand("a", qid=2), cand("b", qid=3), cand("a", qid=4), cand("b", qid=5)]
    picked = pick(pool, 10, "s")
    assert sorted(keys(picked)) == ["a", "b"]


def test_excluded_keys_are_skipped():
    """Keys in exclude_keys are never returned, even if they would sort first."""
    pool = [cand("a"), cand("b"), cand("c", 4)]
    picked = pick(pool, 3, "s", exclude_keys={"a", "b"})
    assert keys(picked) == ["c"]


def test_pick_is_deterministic():
    """Same pool and seed give the same result regardless of input order."""
    pool = [cand(f"k{i}", i % 3, T0 - timedelta(hours=i % 2)) for i in range(30)]
    first = pick(pool, 12, "user7-module3")
    assert pick(list(reversed(pool)), 12, "user7-module3") == first
    assert pick(pool, 12, "user7-module3") == first


def test_n_larger_than_pool_returns_all():
    """Asking for more than the pool holds returns each key once, nothing more."""
    pool = [cand("a"), cand("b", 1), cand("c", 2)]
    assert len(pick(pool, 50, "s")) == 3


def test_zero_or_negative_n_returns_empty():
    """n <= 0 and an empty pool give an empty list."""
    assert pick([cand("a")], 0, "s") == []
    assert pick([cand("a")], -1, "s") == []
    assert pick([], 5, "s") == []


# --------------------------------------------------------------------------- filters

POOL = [cand("s1", type="single", difficulty=1), cand("m2", type="multiple", difficulty=2),
        cand("j1", type="judge", difficulty=1), cand("s3", type="single", difficulty=3)]


def test_filter_by_type():
    """Only the requested types are kept, in input order."""
    assert keys(filter_candidates(POOL, types={"single"})) == ["s1", "s3"]


def test_filter_by_difficulty_and_type():
    """Type and difficulty filters combine with AND."""
    assert keys(filter_candidates(POOL, types=["single", "judge"], difficulties={1})) == ["s1", "j1"]


def test_no_filter_keeps_everything():
    """None or an empty collection means no restriction."""
    assert filter_candidates(POOL) == POOL
    assert filter_candidates(POOL, types=set(), difficulties=()) == POOL


def test_filter_with_no_match_is_empty():
    """A filter that matches nothing gives an empty list."""
    assert filter_candidates(POOL, types={"case"}) == []


# --------------------------------------------------------------------------- daily mix

DUE = [cand(f"due{i}", 2, T0 - timedelta(days=i)) for i in range(10)]
NEW = [cand(f"new{i}") for i in range(10)]


def count_due(result):
    return sum(c.key.startswith("due") for c in result)


def test_daily_mix_default_half_and_half():
    """With plenty of both, half the questions are due reviews."""
    result = mix_daily(DUE, NEW, 10, "day")
    assert len(result) == 10 and count_due(result) == 5


def test_daily_mix_respects_share():
    """due_share sets the proportion of due reviews (rounded half up)."""
    assert count_due(mix_daily(DUE, NEW, 10, "day", due_share=0.3)) == 3
    assert count_due(mix_daily(DUE, NEW, 5, "day", due_share=0.5)) == 3
    assert count_due(mix_daily(DUE, NEW, 10, "day", due_share=1.0)) == 10
    assert count_due(mix_daily(DUE, NEW, 10, "day", due_share=0.0)) == 0


def test_daily_mix_takes_more_due_when_new_runs_out():
    """Not enough new questions: due reviews fill the rest."""
    result = mix_daily(DUE, NEW[:2], 10, "day")
    assert len(result) == 10 and count_due(result) == 8


def test_daily_mix_takes_more_new_when_few_due():
    """Not enough due reviews: new questions fill the rest."""
    result = mix_daily(DUE[:1], NEW, 10, "day")
    assert len(result) == 10 and count_due(result) == 1


def test_daily_mix_smaller_than_n_when_both_short():
    """Both lists short: everything available is returned, nothing more."""
    assert len(mix_daily(DUE[:2], NEW[:3], 10, "day")) == 5
    assert mix_daily([], [], 10, "day") == []


def test_daily_mix_never_repeats_a_key():
    """A key that is due is not served again as new, and duplicate due keys appear once."""
    overlap = [cand("due0"), cand("due1"), cand("fresh")]
    result = mix_daily(DUE[:3] + DUE[:1], overlap, 10, "day")
    assert sorted(keys(result)) == ["due0", "due1", "due2", "fresh"]


def test_daily_mix_keeps_due_order_and_interleaves():
    """Due reviews keep the caller's order and alternate evenly with new ones."""
    result = mix_daily(DUE, NEW, 6, "day")
    assert [c.key.startswith("due") for c in result] == [True, False] * 3
    assert [c.key for c in result if c.key.startswith("due")] == ["due0", "due1", "due2"]


def test_daily_mix_is_deterministic():
    """Same inputs and seed give the same list; new questions are ordered by pick with the seed."""
    assert mix_daily(DUE, NEW, 8, "d1") == mix_daily(DUE, NEW, 8, "d1")
    news = [c for c in mix_daily([], NEW, 10, "d1")]
    assert news == pick(NEW, 10, "d1")


def test_daily_mix_rejects_bad_share():
    """due_share outside 0..1 is a programming error."""
    with pytest.raises(ValueError):
        mix_daily(DUE, NEW, 5, "day", due_share=1.5)


# --------------------------------------------------------------------------- option shuffle

def test_shuffle_is_a_permutation():
    """The result is a permutation of the option indexes, using banks.types.shuffle_options."""
    perm = shuffle_for(3, 11, "xzcf-12-1", 4)
    assert sorted(perm) == [0, 1, 2, 3]
    assert perm == shuffle_options(4, "practice:3:11:xzcf-12-1")


def test_shuffle_stable_per_user_session_key():
    """The same (user, session, key) always gives the same order."""
    assert shuffle_for(5, 9, "q-1", 6) == shuffle_for(5, 9, "q-1", 6)


def test_shuffle_differs_across_users():
    """Different users (same session id and key) get different orders, at least for some questions."""
    orders = {tuple(shuffle_for(user, 1, "q-1", 6)) for user in range(1, 21)}
    assert len(orders) > 1
    assert any(shuffle_for(1, 1, f"q-{i}", 6) != shuffle_for(2, 1, f"q-{i}", 6) for i in range(10))


def test_shuffle_differs_across_sessions_and_keys():
    """A new session or another question reshuffles."""
    base = shuffle_for(1, 1, "q-1", 8)
    assert any(shuffle_for(1, s, "q-1", 8) != base for s in range(2, 12))
    assert any(shuffle_for(1, 1, f"q-{i}", 8) != base for i in range(2, 12))
