"""What the candidate is told when the grader is unsure: one wording for the card, the terminal and the reports.

The grader marks a key point in doubt (`KeyPointResult.doubt`) when it cannot tell whether a clause of the
answer makes the point or says its opposite, and flags the grade `GradeFlag.UNSURE`. Every place that shows a
grade says so in the same words: a line near the score (`unsure_note`) and, per key point, its doubt.
"""

from __future__ import annotations

import re

from interviewer.models import Grade, GradeFlag, KeyPointResult

UNSURE_LABEL = "unsure"  # the badge on a key point in doubt
# Flags said in words of their own wherever a grade is shown, so they are left out of the plain "Flags:" list.
WORDED_FLAGS = frozenset({GradeFlag.UNSURE})

_QUOTED = re.compile(r"“([^“”]+)”")


def doubtful(grade: Grade) -> list[KeyPointResult]:
    """The key points the grader is unsure of, in the grade's order."""
    return [k for k in grade.key_points if k.doubt]


def unsure_note(grade: Grade) -> str:
    """The line shown near the score when the grader is unsure of the grade; '' when it is not."""
    n = len(doubtful(grade))
    if n == 0:
        if GradeFlag.UNSURE not in grade.flags:
            return ""
        return "The grader is unsure about part of this grade: check it against the reference answer."
    if n == 1:
        return "The grader is unsure about 1 key point: check it against the reference answer."
    return f"The grader is unsure about {n} key points: check them against the reference answer."


def listed_flags(grade: Grade) -> list[str]:
    """The grade's flags for a plain "Flags:" list: those not already said in words (`WORDED_FLAGS`)."""
    return [str(f) for f in grade.flags if f not in WORDED_FLAGS]


def doubted_clauses(grade: Grade) -> list[str]:
    """The clauses of the answer the doubts are about: each doubt quotes its clause in “curly quotes”."""
    return [found.group(1) for k in doubtful(grade) if k.doubt and (found := _QUOTED.search(k.doubt))]
