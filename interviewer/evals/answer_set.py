"""Our own graded ML answers (`evals/`): what they are, how they are split, and the figures per kind of answer.

Each answer was written for a bank question and scored 0-10 as a strict but fair senior interviewer would,
before any grader work was tuned on it. Its kind says what sort of answer it is (excellent, swapped, a listed
misconception reworded, ...), so the figures show where a grader is fooled, not only how well it ranks. The
questions are split once into `dev` (tune on it) and `test` (report it, never tune on it) in `evals/split.yaml`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from scipy import stats

from interviewer.errors import InterviewerError

AnswerKind = Literal[
    "excellent", "good", "partial", "weak", "wrong", "swapped", "one-error", "misconception", "adversarial"
]
Split = Literal["dev", "test"]

KIND_BANDS: dict[str, tuple[float, float]] = {
    "excellent": (9, 10),
    "good": (7, 8),
    "partial": (4, 6),
    "weak": (2, 3),
    "wrong": (0, 2),
    "swapped": (0, 2),
    "one-error": (4, 6),
    "misconception": (1, 3),
    "adversarial": (0, 10),  # judged case by case; its ceiling is what the grader must respect
}
"""The score a strict interviewer gives each kind (issue 11's table); the set's own scores lie in these bands."""

NEEDS_NOTE = {"wrong", "swapped", "one-error", "misconception", "adversarial"}
WRONG_KINDS = ("wrong", "swapped", "misconception")


class GradedAnswer(BaseModel):
    """One answer of the set, with the score and kind a strict human interviewer gave it."""

    question_id: str
    kind: AnswerKind
    score: float = Field(ge=0, le=10)
    answer: str = Field(min_length=1)
    note: str | None = None
    ceiling: float | None = Field(default=None, ge=0, le=10)
    split: Split | None = None  # set from split.yaml when the set is loaded

    @model_validator(mode="after")
    def _consistent(self) -> GradedAnswer:
        low, high = KIND_BANDS[self.kind]
        if not low <= self.score <= high:
            raise ValueError(f"a {self.kind} answer scores {low:g}-{high:g}, not {self.score:g}")
        if self.kind in NEEDS_NOTE and not self.note:
            raise ValueError(f"a {self.kind} answer needs a note saying what is wrong")
        if (self.kind == "adversarial") != (self.ceiling is not None):
            raise ValueError("adversarial answers, and only they, carry a ceiling")
        return self


def load_answer_set(folder: Path, known_ids: Iterable[str]) -> list[GradedAnswer]:
    """Every answer in `folder/answers/*.yaml`, each tagged with its split; all problems reported at once."""
    known, problems, answers = set(known_ids), [], []
    split = _read_split(folder / "split.yaml")
    files = sorted((folder / "answers").glob("*.yaml"))
    if not files:
        raise InterviewerError(f"No answer files in {folder / 'answers'}; expected *.yaml lists of answers.")
    for path in files:
        for number, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or [], start=1):
            try:
                answer = GradedAnswer.model_validate(raw)
            except ValidationError as exc:
                problems.append(f"{path.name}, answer {number}: {exc.errors()[0]['msg']}")
                continue
            if answer.question_id not in known:
                problems.append(f"{path.name}, answer {number}: no bank entry '{answer.question_id}'")
            elif answer.question_id not in split:
                problems.append(f"{path.name}, answer {number}: '{answer.question_id}' is in no split")
            answers.append(answer.model_copy(update={"split": split.get(answer.question_id)}))
    if problems:
        raise InterviewerError("The answer set has problems:\n" + "\n".join(f"- {p}" for p in problems))
    return answers


def _read_split(path: Path) -> dict[str, Split]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InterviewerError(f"Cannot read {path}: {exc.strerror}. The set needs its split file.") from exc
    split: dict[str, Split] = {q: "dev" for q in data.get("dev", [])}
    for question in data.get("test", []):
        if question in split:
            raise InterviewerError(f"{path}: '{question}' is in both dev and test.")
        split[question] = "test"
    return split


@dataclass(frozen=True)
class Scored:
    answer: GradedAnswer
    predicted: float  # 0-10


@dataclass(frozen=True)
class KindRow:
    kind: str
    n: int
    human_mean: float
    mean: float
    share_low: float  # share scored <= 3
    share_high: float  # share scored >= 8


@dataclass(frozen=True)
class Target:
    """One of issue 11's "done when" figures: what it measures, the value, the goal and whether it is met."""

    name: str
    value: float
    goal: str
    met: bool
    percent: bool = True

    def __str__(self) -> str:
        value = _percent(self.value) if self.percent else _number(self.value)
        return f"{'met' if self.met else 'NOT met'}: {self.name}: {value} (goal {self.goal})"


def score_all(answers: list[GradedAnswer], grade: Callable[[GradedAnswer], float]) -> list[Scored]:
    return [Scored(a, grade(a)) for a in answers]


def kind_rows(scored: list[Scored]) -> list[KindRow]:
    """Mean score and the shares at the ends of the scale, per kind of answer, in the order of KIND_BANDS."""
    rows = []
    for kind in KIND_BANDS:
        group = [s for s in scored if s.answer.kind == kind]
        if not group:
            continue
        predicted = np.array([s.predicted for s in group])
        rows.append(
            KindRow(
                kind=kind,
                n=len(group),
                human_mean=float(np.mean([s.answer.score for s in group])),
                mean=float(predicted.mean()),
                share_low=float((predicted <= 3).mean()),
                share_high=float((predicted >= 8).mean()),
            )
        )
    return rows


def spearman(scored: list[Scored]) -> float:
    human = [s.answer.score for s in scored]
    predicted = [s.predicted for s in scored]
    if len(scored) < 3 or np.std(predicted) == 0:
        return float("nan")
    return float(stats.spearmanr(human, predicted)[0])


def targets(scored: list[Scored]) -> list[Target]:
    """Issue 11's goals, measured on these answers."""

    def share(kinds: tuple[str, ...], test: Callable[[float], bool]) -> float:
        group = [s for s in scored if s.answer.kind in kinds]
        return sum(test(s.predicted) for s in group) / len(group) if group else float("nan")

    rho = spearman(scored)
    wrong = share(WRONG_KINDS, lambda p: p <= 3)
    one_error = share(("one-error",), lambda p: p <= 6)
    excellent = share(("excellent",), lambda p: p >= 8)
    adversarial = [s for s in scored if s.answer.ceiling is not None]
    broken = sum(s.predicted > (s.answer.ceiling or 0) for s in adversarial)
    return [
        Target("Spearman rho with the human scores", rho, ">= 0.80", rho >= 0.80, percent=False),
        Target("wrong, swapped and misconception answers scored <= 3", wrong, ">= 80%", wrong >= 0.80),
        Target("one-error answers scored <= 6", one_error, ">= 70%", one_error >= 0.70),
        Target("excellent answers scored >= 8", excellent, ">= 85%", excellent >= 0.85),
        Target("adversarial answers over their ceiling", broken, "0", broken == 0, percent=False),
    ]


def kind_table(columns: dict[str, list[Scored]]) -> str:
    """Per kind: the human mean; the first column's (the grader's) mean and shares <= 3 and >= 8; the other
    columns' (the baselines', not calibrated to 0-10) means. Spearman rho for each column last."""
    names = list(columns)
    rows = [{r.kind: r for r in kind_rows(scored)} for scored in columns.values()]
    header = ["kind", "n", "human", f"{names[0]} mean", "<=3", ">=8", *names[1:]]
    lines = [header]
    for kind, row in rows[0].items():
        ours = [f"{row.mean:.1f}", _percent(row.share_low), _percent(row.share_high)]
        others = [f"{other[kind].mean:.1f}" for other in rows[1:]]
        lines.append([kind, str(row.n), f"{row.human_mean:.1f}", *ours, *others])
    rhos = [_number(spearman(scored)) for scored in columns.values()]
    lines.append(["Spearman rho", "", "", rhos[0], "", "", *rhos[1:]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.0f}%"


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}" if value % 1 else f"{value:.0f}"
