"""The two zero-shot baselines every grader figure is reported beside, measured in the same run.

- Reference-word overlap: the share of the reference answer's content words (stemmed) that the answer uses.
- Plain embedding cosine: the cosine similarity of the whole answer and the whole reference answer.

Published figures for these on the Mohler set are about r = 0.49 and 0.50; measuring them on the same records
as our grader shows what the grader adds, free of differences in data or preprocessing. Both return a 0-1
fraction of the record's full marks.
"""

from __future__ import annotations

from collections.abc import Callable

from interviewer.retrieval.embeddings import Embedder
from interviewer.text import STOPWORDS, stem, tokens

Baseline = Callable[[str, str], float]
"""(reference answer, answer) -> fraction of full marks, 0-1."""


def reference_word_overlap(reference: str, answer: str) -> float:
    """The share of the reference's content words (stopwords dropped, stemmed) found in the answer."""
    wanted = [stem(t) for t in tokens(reference) if t not in STOPWORDS]
    if not wanted:
        return 0.0
    found = {stem(t) for t in tokens(answer)}
    return sum(w in found for w in wanted) / len(wanted)


def embedding_cosine(embedder: Embedder) -> Baseline:
    """Cosine of the answer and reference vectors, clipped to 0-1."""

    def score(reference: str, answer: str) -> float:
        if not answer.strip():
            return 0.0
        ref_vec, answer_vec = embedder.embed([reference, answer])
        return min(max(float(ref_vec @ answer_vec), 0.0), 1.0)

    return score


def baselines(embedder: Embedder) -> dict[str, Baseline]:
    """The baselines by the name `interviewer eval` reports them under."""
    return {"word_overlap": reference_word_overlap, "embedding_cosine": embedding_cosine(embedder)}
