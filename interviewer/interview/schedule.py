"""When each question is due again: spaced repetition of what the candidate got wrong, by FSRS.

Every attempt at a question (`progress.TriedQuestion`) is a review for the FSRS scheduler (the `fsrs` package), and a
question's schedule is found by replaying its attempts in time order from a new card. Nothing about the
schedule is stored: it follows from the sessions, so deleting a session, or a change to the rules below, is
reflected at once, and there is no second record to keep in step. Replaying needs the scheduler to be
deterministic, so its random "fuzz" of intervals is off.

Our 0-10 score becomes an FSRS rating in one place, `rating`:

- under 4 (`AGAIN_BELOW`): most key points were missing: the answer is not known yet, Again;
- 4 to 6 (`HARD_BELOW`): about half of it: known in part, Hard;
- 6 to 8.5 (`GOOD_BELOW`): what an interviewer would accept, Good;
- from 8.5: a strong answer, Easy.

A skip or "I don't know" is Again. Help lowers the rating one step each: a hint (however many), and the reveal
of the reference answer; an answer that needed help is not as well known as its score says.

FSRS's learning steps are meant for flash cards reviewed minutes apart; an interview question is practised
in sessions. So a question rated Again or Hard waits one short step (`LEARNING_STEP`, 10 minutes) and
counts as due when it falls within `LEARN_AHEAD` (20 minutes, as Anki's "learn ahead" limit does): it is due
in the very next session. Good and Easy answers come back in days, further apart after each good answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from fsrs import Card, Rating, Scheduler
from pydantic import BaseModel

from interviewer.interview.progress import TriedQuestion, tried_in
from interviewer.interview.session import SessionSnapshot
from interviewer.models import BankEntry, SessionConfig

AGAIN_BELOW = 4.0
HARD_BELOW = 6.0
GOOD_BELOW = 8.5
LEARNING_STEP = timedelta(minutes=10)
LEARN_AHEAD = timedelta(minutes=20)

SCHEDULER = Scheduler(
    desired_retention=0.9,
    learning_steps=(LEARNING_STEP,),
    relearning_steps=(LEARNING_STEP,),
    enable_fuzzing=False,  # a replay must give the same due date every time
)

RatingName = Literal["again", "hard", "good", "easy"]


def rating(attempt: TriedQuestion) -> Rating:
    """The FSRS rating of one attempt (see the module's docstring for why these thresholds)."""
    if not attempt.answered:
        return Rating.Again
    if attempt.score < AGAIN_BELOW:
        earned = Rating.Again
    elif attempt.score < HARD_BELOW:
        earned = Rating.Hard
    elif attempt.score < GOOD_BELOW:
        earned = Rating.Good
    else:
        earned = Rating.Easy
    helped = int(attempt.hints > 0) + int(attempt.revealed)
    return Rating(max(int(Rating.Again), int(earned) - helped))


class QuestionSchedule(BaseModel):
    """A question the candidate has tried: how the latest attempt went and when it is due again."""

    entry_id: str
    question: str
    topic: str
    attempts: int
    last_score: float
    last_rating: RatingName
    last_at: datetime
    due_at: datetime

    def is_due(self, now: datetime) -> bool:
        return self.due_at <= now + LEARN_AHEAD

    @property
    def weak(self) -> bool:
        """The latest attempt was rated Again or Hard."""
        return self.last_rating in ("again", "hard")


def schedules(attempts: Iterable[TriedQuestion]) -> list[QuestionSchedule]:
    """Each tried question's schedule, found by replaying its attempts in time order; soonest due first."""
    by_question: dict[str, list[TriedQuestion]] = defaultdict(list)
    for attempt in sorted(attempts, key=lambda a: a.at):
        by_question[attempt.entry_id].append(attempt)
    out = []
    for number, (entry_id, tried) in enumerate(sorted(by_question.items())):
        card = Card(card_id=number + 1, due=tried[0].at.astimezone(UTC))  # an id given: no clock, no sleep
        for attempt in tried:
            card, _ = SCHEDULER.review_card(card, rating(attempt), review_datetime=attempt.at.astimezone(UTC))
        last = tried[-1]
        out.append(
            QuestionSchedule(
                entry_id=entry_id,
                question=last.question,
                topic=last.topic,
                attempts=len(tried),
                last_score=last.score,
                last_rating=rating(last).name.lower(),
                last_at=last.at,
                due_at=card.due,
            )
        )
    return sorted(out, key=lambda s: (s.due_at, s.last_score, s.entry_id))


def schedules_of(snapshots: Iterable[SessionSnapshot]) -> list[QuestionSchedule]:
    """The schedule of every question tried in these sessions (an exam still running counts once it ends)."""
    return schedules(a for snapshot in snapshots for a in tried_in(snapshot))


def due(scheduled: Sequence[QuestionSchedule], now: datetime) -> list[QuestionSchedule]:
    """The questions due now, the longest overdue first (then the weakest)."""
    return [s for s in scheduled if s.is_due(now)]


def practice_plan(
    scheduled: Sequence[QuestionSchedule],
    now: datetime,
    limit: int,
    keep: Callable[[str], bool] = lambda entry_id: True,
) -> list[QuestionSchedule]:
    """What "Practice what's due" asks, up to `limit`: the questions due now, then, to fill the session, the
    weak ones not yet due (the lowest latest score first). `keep` says which entry ids may be asked (still
    in the bank, within the chosen filters). Empty when nothing is due or weak."""
    allowed = [s for s in scheduled if keep(s.entry_id)]
    first = [s for s in allowed if s.is_due(now)]
    then = sorted(
        (s for s in allowed if s.weak and not s.is_due(now)), key=lambda s: (s.last_score, s.due_at)
    )
    return (first + then)[:limit]


def when(moment: datetime, now: datetime) -> str:
    """How far off a due date is, in words: "now", "in 40 min", "in 3 h", "tomorrow", "in 5 days"."""
    left = moment - now
    if left <= LEARN_AHEAD:
        return "now"
    if left < timedelta(hours=1):
        return f"in {round(left.total_seconds() / 60)} min"
    if left < timedelta(hours=20):
        return f"in {round(left.total_seconds() / 3600)} h"
    days = max(1, round(left.total_seconds() / 86400))
    return "tomorrow" if days == 1 else f"in {days} days"


def due_line(scheduled: Sequence[QuestionSchedule], now: datetime) -> str:
    """One line on what is due: how many, or, when nothing is, when the next one is and what to do."""
    count = len(due(scheduled, now))
    if count:
        noun = "question is" if count == 1 else "questions are"
        return f"{count} {noun} due for practice."
    return nothing_due(scheduled, now)


def nothing_due(scheduled: Sequence[QuestionSchedule], now: datetime, untried: int | None = None) -> str:
    """What to say when nothing is due, and what to do instead."""
    new = f" ({untried} questions you have never tried)" if untried else ""
    if not scheduled:
        return (
            "Nothing is due yet: questions come back here once you have answered them, the ones you got wrong "
            f"first. Start an interview{new} to begin."
        )
    upcoming = min(scheduled, key=lambda s: s.due_at)
    return (
        f"Nothing is due now: the next question comes back {when(upcoming.due_at, now)} "
        f"(“{upcoming.question}”). Meanwhile, start an interview on new questions{new}."
    )


def due_session(
    config: SessionConfig,
    scheduled: Sequence[QuestionSchedule],
    entries: Mapping[str, BankEntry],
    now: datetime,
    untried: int | None = None,
) -> tuple[SessionConfig | None, str]:
    """The set-up of a "Practice what's due" session: `config` (its mode, follow-ups and number of questions)
    asking the questions of `practice_plan` that are still in the bank and within its topic, type and
    difficulty filters; and what to tell the candidate. None, with what to do instead, when there is nothing
    to practise."""

    def keep(entry_id: str) -> bool:
        entry = entries.get(entry_id)
        return entry is not None and (
            (not config.topics or entry.topic in config.topics)
            and (not config.types or entry.type in config.types)
            and (not config.difficulties or entry.difficulty in config.difficulties)
        )

    plan = practice_plan(scheduled, now, config.num_questions, keep)
    filtered = bool(config.topics or config.types or config.difficulties)
    if not plan:
        if filtered and practice_plan(scheduled, now, 1):
            return (
                None,
                "Nothing due is within the chosen topics, types or difficulties: clear them, and try again.",
            )
        return None, nothing_due(scheduled, now, untried)
    due_now = sum(1 for s in plan if s.is_due(now))
    if due_now == len(plan):
        told = f"{due_now} due {'question' if due_now == 1 else 'questions'}, the longest waiting first."
    elif due_now:
        told = f"{due_now} due, then {len(plan) - due_now} of your weakest."
    else:
        told = f"Nothing is due now, so here {'is' if len(plan) == 1 else 'are'} your weakest {len(plan)}."
    update = {"question_ids": [s.entry_id for s in plan], "num_questions": len(plan)}
    return config.model_copy(update=update), "Practising what's due: " + told
