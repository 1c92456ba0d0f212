"""Question selection for quizzes and daily practice.

Pure: no Flask, no database. The caller loads `Candidate` rows (one per question version the user
may be asked, with that user's answer history for the question *key*, i.e. across versions) and
these functions decide which to ask and in what order.

Randomness is always derived from a caller-supplied seed string, so the same inputs and seed give
the same result in every worker process (a page reload does not reshuffle a quiz).
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from trainer.banks.types import shuffle_options

__all__ = ["Candidate", "filter_candidates", "mix_daily", "pick", "shuffle_for", "shuffle_seed"]


@dataclass(frozen=True)
class Candidate:
    """A question that may be asked, with the acting user's history for its key."""

    question_id: int
    key: str                          # stable across versions of the same question
    times_answered: int               # by this user, any version of the key
    last_answered_at: datetime | None  # aware UTC; None if never answered
    type: str                         # "single", "multiple", "judge", "blank", "case"
    difficulty: int


def _tiebreak(seed: str, candidate: Candidate) -> bytes:
    """A pseudo-random but deterministic sort key; independent of the input order."""
    text = f"{seed}\x1f{candidate.key}\x1f{candidate.question_id}"
    return hashlib.sha256(text.encode("utf-8")).digest()


def _priority(seed: str, candidate: Candidate) -> tuple:
    """Sort key: never answered first (random among them), then fewest answers, then longest ago, then random."""
    if candidate.times_answered <= 0:
        return (0, 0, 0.0, _tiebreak(seed, candidate))
    last = candidate.last_answered_at
    # answered but without a timestamp counts as "longest ago"
    return (1, candidate.times_answered, last.timestamp() if last is not None else -math.inf,
            _tiebreak(seed, candidate))


def _unique_by_key(candidates: Iterable[Candidate], exclude_keys: Collection[str]) -> list[Candidate]:
    """First candidate of each key, in the given order, skipping excluded keys."""
    seen = set(exclude_keys)
    out: list[Candidate] = []
    for candidate in candidates:
        if candidate.key not in seen:
            seen.add(candidate.key)
            out.append(candidate)
    return out


def pick(candidates: list[Candidate], n: int, seed: str, *,
         exclude_keys: Collection[str] = frozenset()) -> list[Candidate]:
    """Up to n candidates, at most one per key, keys in exclude_keys skipped.

    Order: never-answered first (shuffled by seed), then the least answered; among equally often
    answered ones the one answered longest ago first, then shuffled by seed. When several versions
    share a key, the one that sorts first represents it.
    """
    if n <= 0:
        return []
    ordered = sorted(candidates, key=lambda c: _priority(seed, c))
    return _unique_by_key(ordered, exclude_keys)[:n]


def filter_candidates(candidates: Iterable[Candidate], *, types: Collection[str] | None = None,
                      difficulties: Collection[int] | None = None) -> list[Candidate]:
    """Candidates of the given types and difficulties, input order kept.

    None (or an empty collection, e.g. a form with nothing ticked) means "no restriction".
    """
    type_set = set(types) if types else None
    difficulty_set = set(difficulties) if difficulties else None
    return [c for c in candidates
            if (type_set is None or c.type in type_set)
            and (difficulty_set is None or c.difficulty in difficulty_set)]


def _interleave(first: list[Candidate], second: list[Candidate]) -> list[Candidate]:
    """Merge two lists spreading each evenly over the result (item j of a list of m sits near (j+½)/m)."""
    out: list[Candidate] = []
    i = j = 0
    while i < len(first) or j < len(second):
        if j >= len(second):
            take_first = True
        elif i >= len(first):
            take_first = False
        else:
            # compare (i + 0.5) / len(first) <= (j + 0.5) / len(second) without floats
            take_first = (2 * i + 1) * len(second) <= (2 * j + 1) * len(first)
        if take_first:
            out.append(first[i])
            i += 1
        else:
            out.append(second[j])
            j += 1
    return out


def mix_daily(due: list[Candidate], new: list[Candidate], n: int, seed: str,
              due_share: float = 0.5) -> list[Candidate]:
    """Daily practice: up to n questions, about due_share of them due reviews, the rest new.

    `due` is taken in the caller's order (most urgent first); `new` is ordered by `pick` with the
    seed. If there are not enough new questions more due ones fill the gap, and vice versa. No key
    appears twice (a key that is due is never also served as new). The two parts are interleaved
    evenly and deterministically, a due review first on ties.
    """
    if not 0.0 <= due_share <= 1.0:
        raise ValueError("due_share must be between 0 and 1")
    if n <= 0:
        return []
    due_unique = _unique_by_key(due, ())
    due_keys = {c.key for c in due}
    new_ordered = pick(new, len(new), seed, exclude_keys=due_keys)

    due_count = min(math.floor(n * due_share + 0.5), len(due_unique))
    new_count = min(n - due_count, len(new_ordered))
    due_count = min(n - new_count, len(due_unique))   # fill from due when new ran short
    return _interleave(due_unique[:due_count], new_ordered[:new_count])


def shuffle_seed(user_id: int, session_id: int, question_key: str) -> str:
    """The seed string for a user's option order of one question within one practice session."""
    return f"practice:{user_id}:{session_id}:{question_key}"


def shuffle_for(user_id: int, session_id: int, question_key: str, option_count: int) -> list[int]:
    """The option permutation (perm[display position] = canonical index) for this user, session and question.

    Stable for the same three ids, so a reload or a second worker shows the same order.
    """
    return shuffle_options(option_count, shuffle_seed(user_id, session_id, question_key))
