"""Does the bank cover a document? Each question found in it, and the bank entry that covers it, and how.

A question is covered *by source* when a bank entry lists the document and the question's place in it among
its `sources`, and otherwise *by similarity* when the nearest bank question, by the real embedder (the same
cosine the question index uses), is at least `threshold` similar. Sources are checked first, so a document
the bank was written from needs no model at all; similarity is what lets a user's own list be checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from interviewer.content.documents import Document, parse_file
from interviewer.content.loader import Bank
from interviewer.models import SearchHit
from interviewer.retrieval.embeddings import Embedder

if TYPE_CHECKING:
    from interviewer.services import Services

# Chosen from the real distribution over the seed documents: a seed question and the entry written for it
# score 0.91 or more in three cases out of four (median 0.98), while the nearest entry to a seed question the
# bank did not ask (before it was added) was often wrong and scored up to 0.64. With every source ignored, 0.75
# covers 178 of the 203 seed questions by similarity alone, 176 of them with the entry their source names.
DEFAULT_THRESHOLD = 0.75

How = Literal["source", "similarity"]
_REF = re.compile(
    r"^(?P<section>.*?)\s*\b(?P<label>q|question|bullets?|paragraphs?)\s*(?P<first>\d+)(?:\s*-\s*(?P<last>\d+))?$",
    re.I,
)


@dataclass(frozen=True)
class _Ref:
    section: frozenset[str]
    label: str
    first: int
    last: int


def _parse_ref(ref: str) -> _Ref | None:
    match = _REF.match(ref.strip())
    if not match:
        return None
    label = match.group("label").lower().rstrip("s")
    first = int(match.group("first"))
    return _Ref(
        section=frozenset(re.findall(r"[a-z0-9]+", match.group("section").lower())),
        label="q" if label == "q" else label,
        first=first,
        last=int(match.group("last") or first),
    )


def ref_matches(bank_ref: str, found_ref: str) -> bool:
    """A bank source `ref` names the found question: same kind and number, and the bank may shorten the
    section heading to some of its words ("Algorithms Q1" names "Machine Learning Algorithms Interview
    Questions Q1")."""
    if bank_ref.strip().lower() == found_ref.strip().lower():
        return True
    ours, theirs = _parse_ref(bank_ref), _parse_ref(found_ref)
    if ours is None or theirs is None:
        return False
    return (
        ours.label == theirs.label
        and ours.first <= theirs.first <= ours.last
        and ours.section <= theirs.section
    )


@dataclass
class CoverageRow:
    document: str
    file: str
    ref: str
    line: int
    question: str
    entry_id: str | None = None
    how: How | None = None
    similarity: float | None = None
    also: list[str] = field(default_factory=list)  # other entries whose sources name it too
    nearest: str | None = None  # the most similar entry, when similarity was checked

    @property
    def covered(self) -> bool:
        return self.entry_id is not None


@dataclass
class CoverageReport:
    rows: list[CoverageRow]
    threshold: float

    @property
    def uncovered(self) -> list[CoverageRow]:
        return [r for r in self.rows if not r.covered]

    def counts(self) -> dict[str, int]:
        return {
            "questions": len(self.rows),
            "covered": sum(r.covered for r in self.rows),
            "by_source": sum(r.how == "source" for r in self.rows),
            "by_similarity": sum(r.how == "similarity" for r in self.rows),
            "uncovered": len(self.uncovered),
        }

    def summary(self) -> str:
        c = self.counts()
        documents = len({r.file for r in self.rows})
        return (
            f"{c['questions']} questions in {documents} document(s): {c['covered']} covered "
            f"({c['by_source']} by source reference, {c['by_similarity']} by similarity >= {self.threshold:.2f}), "
            f"{c['uncovered']} uncovered"
        )

    def render(self) -> str:
        return render(self)

    def as_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, **self.counts(), "rows": [asdict(r) for r in self.rows]}


def _source_index(bank: Bank) -> dict[str, list[tuple[str, str]]]:
    by_document: dict[str, list[tuple[str, str]]] = {}
    for entry in bank.entries.values():
        for source in entry.sources:
            by_document.setdefault(source.document, []).append((source.ref, entry.id))
    return by_document


def check_coverage(
    documents: Sequence[Document],
    bank: Bank,
    nearest: Callable[[str], SearchHit | None],
    threshold: float = DEFAULT_THRESHOLD,
) -> CoverageReport:
    """One row per question of `documents`. `nearest` (the index's best question match) is only called for
    questions no bank source names."""
    sources = _source_index(bank)
    rows: list[CoverageRow] = []
    for document in documents:
        claims = sources.get(document.stem, [])
        for question in document.questions:
            row = CoverageRow(document.stem, str(document.path), question.ref, question.line, question.text)
            owners = list(
                dict.fromkeys(entry_id for ref, entry_id in claims if ref_matches(ref, question.ref))
            )
            if owners:
                row.entry_id, row.how, row.also = owners[0], "source", owners[1:]
            else:
                hit = nearest(question.text)
                if hit is not None:
                    row.similarity, row.nearest = round(hit.similarity, 3), hit.entry_id
                    if hit.similarity >= threshold:
                        row.entry_id, row.how = hit.entry_id, "similarity"
            rows.append(row)
    return CoverageReport(rows, threshold)


def _short(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def render(report: CoverageReport) -> str:
    lines: list[str] = []
    current = None
    for row in report.rows:
        if row.file != current:
            current = row.file
            count = sum(r.file == current for r in report.rows)
            lines.append(f"{current} ({count} questions)")
        if row.how == "source":
            status = f"ok  {row.entry_id} (source)"
        elif row.how == "similarity":
            status = f"ok  {row.entry_id} (similarity {row.similarity:.2f})"
        else:
            nearest = f"; nearest {row.nearest} at {row.similarity:.2f}" if row.nearest else ""
            status = f"UNCOVERED{nearest}"
        lines.append(f"  {row.ref}: {status}  | {_short(row.question)}")
    if report.uncovered:
        lines.append("Not covered by the bank:")
        lines += [f"  {r.file}:{r.line} {r.ref}: {r.question}" for r in report.uncovered]
    lines.append(report.summary())
    return "\n".join(lines)


class NearestQuestion:
    """The bank question nearest to a text, by the real embedder. The bank's questions are embedded on first
    use only, and nothing is written: a coverage check never touches the index."""

    def __init__(self, bank: Bank, embedder: Embedder):
        self.bank = bank
        self.embedder = embedder
        self._ids: list[str] = []
        self._vectors: np.ndarray | None = None

    def __call__(self, text: str) -> SearchHit | None:
        if self._vectors is None:
            self._ids = sorted(self.bank.entries)
            self._vectors = self.embedder.embed([self.bank.entries[i].question for i in self._ids])
        if not self._ids:
            return None
        scores = self._vectors @ self.embedder.embed([text])[0]
        best = int(np.argmax(scores))
        entry = self.bank.entries[self._ids[best]]
        return SearchHit(entry_id=entry.id, question=entry.question, similarity=float(scores[best]))


def coverage_of_files(
    paths: Sequence[Path], services: Services, threshold: float | None = None
) -> CoverageReport:
    """Coverage of documents on disk against the configured bank; the embedding model is only loaded when
    some question is not named by a bank source."""
    documents = [parse_file(path) for path in paths]
    bank = services.bank
    nearest = NearestQuestion(bank, services.embedder)
    return check_coverage(documents, bank, nearest, DEFAULT_THRESHOLD if threshold is None else threshold)
