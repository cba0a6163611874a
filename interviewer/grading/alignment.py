"""Word-level alignment of a key point to an answer: how much of what the key point says the answer says too.

Each content word of the key point is matched to its most similar word of the answer (cosine of word vectors
read in context by the embedding model); the key point's recall is the mean of those best matches. Two rules
keep the measure honest:

- Question demoting: words of the question earn no credit. Saying "a stack" back to "What is a stack?" shows
  nothing, so those words are dropped from both sides (unless the key point has no other words).
- Topic demoting, for written key points: a word that `TOPIC_POINTS` of an entry's key points share says what the
  entry is about, not which of its claims is made ("optimizer state", "gradients" in every ZeRO point), so it is
  dropped the same way (`topic_stems`).
- Only usable text counts: spans that copy the question, bare keyword lists and sentences that state a
  misconception are left out of the answer's words before matching.

Word-level matching beats whole-sentence similarity on human-graded data (see docs/grader-notes.md): a sentence
vector blurs the one term that matters ("queue" vs "stack"), while word matches keep it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.retrieval.embeddings import WordVectors
from interviewer.text import STOPWORDS, stem, tokens


@dataclass(frozen=True)
class PointMatch:
    """How well one key point is matched: its word recall (0-1) and the span that carries most of the match."""

    recall: float
    span: int | None  # index of the answer span used as evidence, or None when nothing matched


# A word in at least this many of an entry's written key points is a topic word. Chosen on evals/ dev, 467 answers
# (docs/grader-notes.md, "Issue 11, thirteenth session"): none / 2 / 3 / 4 gave rho 0.668 / 0.676 / 0.670 / 0.670
# and wrong, swapped and misconception answers <= 3 57% / 69% / 60% / 58%, with the credit as it was.
TOPIC_POINTS = 2


def question_stems(question: str) -> set[str]:
    return {stem(t) for t in tokens(question) if t not in STOPWORDS}


def topic_stems(points: Sequence[str]) -> set[str]:
    """The stems at least `TOPIC_POINTS` of the key points `points` have."""
    counts = Counter(s for text in points for s in question_stems(text))
    return {s for s, n in counts.items() if n >= TOPIC_POINTS}


def _content(words: list[str]) -> list[int]:
    return [i for i, w in enumerate(words) if w not in STOPWORDS]


def point_words(point: WordVectors, asked: set[str]) -> np.ndarray:
    """The key point's word vectors that can earn credit: content words not in the question (all if none)."""
    content = _content(point.words)
    demoted = [i for i in content if stem(point.words[i]) not in asked]
    keep = demoted or content or list(range(len(point.words)))
    return point.vectors[keep]


def answer_words(
    spans: Sequence[WordVectors], usable: Sequence[int], asked: set[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The answer's creditable word vectors (content words of usable spans, not in the question) and the span
    each comes from."""
    vectors, owners = [], []
    for index in usable:
        span = spans[index]
        keep = [i for i in _content(span.words) if stem(span.words[i]) not in asked]
        vectors.append(span.vectors[keep])
        owners.extend([index] * len(keep))
    if not owners:
        dim = spans[0].vectors.shape[1] if spans else 0
        return np.zeros((0, dim), dtype=np.float32), np.zeros(0, dtype=int)
    return np.vstack(vectors), np.array(owners)


def match_point(point: np.ndarray, answer: np.ndarray, owners: np.ndarray) -> PointMatch:
    """Recall of one key point's words in the answer, and the span holding the largest share of the match."""
    if not len(point) or not len(answer):
        return PointMatch(0.0, None)
    sims = point @ answer.T
    best = sims.argmax(axis=1)
    scores = np.clip(sims[np.arange(len(point)), best], 0.0, 1.0)
    weight_by_span: dict[int, float] = {}
    for word, score in zip(best, scores, strict=True):
        owner = int(owners[word])
        weight_by_span[owner] = weight_by_span.get(owner, 0.0) + float(score)
    return PointMatch(float(scores.mean()), max(weight_by_span, key=lambda s: weight_by_span[s]))
