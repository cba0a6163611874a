"""Measuring a grader against human scores: `interviewer eval DATA.jsonl`.

Each record is `{question, reference, answer, score, max_score}`; other fields are carried through. Our 0-10
score is rescaled to the record's `max_score` before comparing. When every human score is 0 or full marks
(correct / not correct, as in SciEntsBank), ROC AUC is reported too; when records carry SemEval-2013's 3-way
`label_3way`, so is the AUC of correct against contradictory answers alone (a wrong claim, not a gap). The
baselines (`baselines.py`) are scored on the same records in the same run, so every figure stands beside them.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from interviewer.errors import InterviewerError
from interviewer.models import Grade

REQUIRED = ("question", "answer", "score", "max_score")


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of a JSONL file; a malformed line fails with its line number."""
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InterviewerError(f"Cannot read {path}: {exc.strerror}. Check the path.") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InterviewerError(f"{path}, line {number}: not valid JSON ({exc.msg}).") from exc
        missing = [k for k in REQUIRED if k not in record]
        if missing:
            raise InterviewerError(f"{path}, line {number}: missing field(s) {', '.join(missing)}.")
        records.append(record)
    if not records:
        raise InterviewerError(f"{path} holds no records.")
    return records


@dataclass
class Metrics:
    n: int
    pearson: float
    spearman: float
    mean_question_pearson: float
    questions: int
    rmse: float
    qwk: float
    roc_auc: float | None = None  # only for correct / not-correct labels
    # only for SemEval-2013's 3-way labels: does a correct answer outscore one that contradicts the reference?
    contradictory_auc: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


MEASURES = {
    "pearson": "Pearson r",
    "spearman": "Spearman rho",
    "mean_question_pearson": "mean per-question r",
    "rmse": "RMSE",
    "qwk": "quadratic weighted kappa",
    "roc_auc": "ROC AUC (correct vs not)",
    "contradictory_auc": "ROC AUC (correct vs contradictory)",
}


def table(columns: dict[str, Metrics]) -> str:
    """The figures of each grader or baseline side by side, one measure per row."""
    names = list(columns)
    rows = [[MEASURES[m], *(_cell(getattr(columns[n], m)) for n in names)] for m in MEASURES]
    rows = [r for r in rows if any(c != "-" for c in r[1:])]
    widths = [max(len(r[i]) for r in [["measure", *names], *rows]) for i in range(len(names) + 1)]
    lines = [["measure", *names], ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def _cell(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.3f}"


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Probability that a correct answer outscores an incorrect one (ties count half); NaN with one class."""
    positive = np.asarray(labels).astype(bool)
    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, scores))


def _safe_corr(fn: Callable[..., Any], x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(fn(x, y)[0])


def quadratic_weighted_kappa(a: Iterable[int], b: Iterable[int]) -> float:
    """Agreement on integer scores, penalising a disagreement by its squared distance in score points.

    The labels are every integer from the lowest score to the highest, so a score nobody gave still counts
    in the distance (scikit-learn would otherwise measure distance between the observed labels' ranks)."""
    x, y = np.asarray(list(a)), np.asarray(list(b))
    lo, hi = int(min(x.min(), y.min())), int(max(x.max(), y.max()))
    if hi == lo:
        return float("nan")
    return float(cohen_kappa_score(x, y, labels=np.arange(lo, hi + 1), weights="quadratic"))


def metrics(records: list[dict[str, Any]], predicted: list[float]) -> Metrics:
    """Agreement between human scores and ours (already on the records' scale)."""
    human = np.array([float(r["score"]) for r in records])
    ours = np.array(predicted)
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_question[r["question"]].append(i)
    per_question = [_safe_corr(stats.pearsonr, human[idx], ours[idx]) for idx in by_question.values()]
    per_question = [r for r in per_question if not math.isnan(r)]
    scale = np.array([float(r["max_score"]) for r in records])
    binary = bool(np.all((human == 0) | (human == scale)))
    return Metrics(
        n=len(records),
        pearson=_safe_corr(stats.pearsonr, human, ours),
        spearman=_safe_corr(stats.spearmanr, human, ours),
        mean_question_pearson=float(np.mean(per_question)) if per_question else float("nan"),
        questions=len(by_question),
        rmse=float(np.sqrt(np.mean((human - ours) ** 2))),
        qwk=quadratic_weighted_kappa(
            np.rint(human / scale * scale.max()).astype(int), np.rint(ours / scale * scale.max()).astype(int)
        ),
        roc_auc=roc_auc(human == scale, ours / scale) if binary else None,
        contradictory_auc=_contradictory_auc(records, ours / scale),
    )


def _contradictory_auc(records: list[dict[str, Any]], scores: np.ndarray) -> float | None:
    """ROC AUC of correct against contradictory answers (`label_3way`), the incorrect ones left out."""
    labels = [r.get("label_3way") for r in records]
    keep = [i for i, label in enumerate(labels) if label in ("correct", "contradictory")]
    if not keep:
        return None
    return roc_auc(np.array([labels[i] == "correct" for i in keep]), scores[keep])


def baseline_scores(
    records: list[dict[str, Any]],
    score: Callable[[str, str], float],
    reference: Callable[[dict[str, Any]], str],
) -> list[float]:
    """A baseline's predictions for the records, on each record's scale."""
    return [score(reference(r), r["answer"]) * float(r["max_score"]) for r in records]


def rescale(grade: Grade, max_score: float) -> float:
    return grade.score / grade.max_score * max_score
