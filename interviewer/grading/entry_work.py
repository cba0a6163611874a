"""The grading work done once per bank entry, done before the first answer to it and kept on disk.

Whatever the answer, grading one to a bank entry reads the same texts of that entry: the word vectors of its key
points and misconceptions, and the sentence vectors of those, of its contrasts, question and follow-up probes,
and of the reference answer's clauses. From them the grader derives, once per entry, which contrasts the
reference answer itself leaves usable (`OfflineGrader.trusted_contrasts`) and, when an answer seems to say a
misconception in words, which misconceptions the reference answer does not say that way itself
(`OfflineGrader.misconceptions_in_words`, a pass over the reference answer's words). Done on an entry's first
answer, that was nearly all of the first grading's time: about 2.5 s more than a later answer to the same entry,
at load 5, in eight small passes of the model (docs/load-notes.md, seventh session). A fresh server met it once
for every entry it was asked about, and again for each follow-up's reference.

`EntryWork.load` (at start-up, before grading is ready) pins the vectors kept on disk in the embedder, where no
cache can drop them, and hands the grader the kept sets; `EntryWork.complete` (after, in the background, or in
`interviewer index`) does what the files lacked, in small passes so that gradings are not held up, and writes
the files again. A grading that comes first simply does the work itself, as before.

The files, `<data>/vectors/<model>.entry-work.npy` and `.json`, key each vector by `vector_key` (model id and
text), so an edited text or another model misses and is encoded again, and a text that left the bank is dropped
at the next write. A set is keyed by everything it is computed from: the embedder, the reference's question,
answer, key points, contrasts and misconceptions, and the source of the modules whose rules decide it (`RULES`),
so an edit to those rules recomputes the sets (from the kept vectors). With a pair model its weights are part of
that key too: its trusted contrasts, the dearest of the sets, are kept like the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from interviewer import text as text_module
from interviewer.grading import alignment, contrasts, entailment, grader, offline, swaps
from interviewer.grading.grader import key_points_of
from interviewer.grading.offline import OfflineGrader
from interviewer.models import BankEntry, Reference
from interviewer.retrieval.embeddings import Embedder, WordVectors
from interviewer.retrieval.vector_cache import vector_key
from interviewer.text import sentence_spans, split_clauses

log = logging.getLogger(__name__)

CHUNK = 64  # texts per pass: a grading waits for one such pass at most
# The modules whose rules decide the kept sets (trusted contrasts, misconceptions said in words); an edit to any
# of them recomputes the sets.
RULES = (contrasts, swaps, alignment, text_module, offline, grader)


def entry_texts(reference: Reference) -> tuple[list[str], list[str]]:
    """The texts grading reads for `reference` whatever the answer: (sentence texts, word texts)."""
    points = key_points_of(reference)
    words = [p.text for p in points] + [m.text for m in reference.misconceptions]
    sentences = [
        *words,
        *(c for p in points for c in p.contrasts),
        reference.question,
        reference.reference_answer,
        *(p.probe for p in points if p.probe),  # a follow-up's question
    ]
    if any(p.contrasts for p in points):
        sentences += [c for s in sentence_spans(reference.reference_answer) for c in split_clauses(s.text)]
    return list(dict.fromkeys(sentences)), list(dict.fromkeys(words))


def rules_version(pairs: contrasts.PairJudge | None = None, every_contrast: bool = False) -> str:
    """A digest of the rules that decide the kept sets, and of the pair model when the grader reads with one (its
    weights file and its module, and whether it reads every contrast): the trusted contrasts depend on what it
    says."""
    digest = hashlib.sha256()
    for module in RULES:
        digest.update(Path(str(module.__file__)).read_bytes())
    if pairs is not None:
        digest.update(b"pairs:" + type(pairs).__qualname__.encode() + (b":every" if every_contrast else b""))
        weights = getattr(pairs, "weights", None)
        if isinstance(weights, Path) and weights.is_file():
            digest.update(weights.read_bytes() + Path(entailment.__file__).read_bytes())
    return digest.hexdigest()[:16]


def trusted_key(embedder_id: str, rules: str, reference: Reference) -> str:
    """The key of `reference`'s trusted contrasts: everything they are computed from."""
    points = [[p.text, p.contrasts] for p in key_points_of(reference)]
    return _digest([embedder_id, rules, reference.question, reference.reference_answer, points])


def in_words_key(embedder_id: str, rules: str, reference: Reference) -> str:
    """The key of `reference`'s misconceptions that may be found by their words: everything they are computed
    from."""
    points = [p.text for p in key_points_of(reference)]
    wrong = [m.text for m in reference.misconceptions]
    return _digest([embedder_id, rules, reference.question, reference.reference_answer, points, wrong])


def _digest(parts: list[object]) -> str:
    """A digest of strings and (nested) lists of strings, each part and its place told apart."""
    digest = hashlib.sha256()

    def add(part: object) -> None:
        if isinstance(part, str):
            digest.update(b"s" + part.encode() + b"\0")
        else:
            assert isinstance(part, list)
            digest.update(b"[")
            for item in part:
                add(item)
            digest.update(b"]")

    add(list(parts))
    return digest.hexdigest()


def follow_up_references(entry: BankEntry) -> list[Reference]:
    """The references a session grades follow-up answers against, one per key point (as
    `Session._follow_up_reference` makes them; if that changes, their kept sets miss and are made when needed)."""
    reference = Reference.from_entry(entry)
    return [
        reference.model_copy(update={"question": p.probe or entry.question, "key_points": [p]})
        for p in entry.key_points
    ]


class EntryWork:
    """The per-entry work of one grader over one bank, kept in `directory` (None: not kept)."""

    def __init__(self, directory: Path | None, embedder: Embedder, grader: OfflineGrader):
        self.directory = directory
        self.embedder = embedder
        self.grader = grader
        self.rules = rules_version(grader.pairs, grader.every_contrast)
        self._references: list[Reference] = []
        self._misconceived: list[Reference] = []  # main and follow-up references with misconceptions
        self._wanted: tuple[dict[str, str], dict[str, str]] = ({}, {})  # text -> key: (sentences, words)
        self._vectors: dict[str, np.ndarray] = {}  # text -> vector, of the current bank
        self._words: dict[str, WordVectors] = {}
        self._trusted: dict[str, dict[int, list[int]]] = {}  # trusted_key -> kept contrasts by key point
        self._in_words: dict[str, list[int]] = {}  # in_words_key -> misconceptions found by words
        self._stale = False  # the files hold rows the bank no longer needs, or are missing

    def _files(self) -> tuple[Path, Path] | None:
        """`<model>.entry-work.npy` (every vector, float32) and `<model>.entry-work.json` (what each row is)."""
        if self.directory is None:
            return None
        stem = f"{hashlib.sha256(self.embedder.id.encode()).hexdigest()[:16]}.entry-work"
        return self.directory / f"{stem}.npy", self.directory / f"{stem}.json"

    def load(self, entries: Iterable[BankEntry]) -> int:
        """Pin what the files hold for `entries` and hand the grader their kept sets. Cheap: maps
        one file, reads another, encodes nothing. Returns how many texts are left for `complete`."""
        entries = list(entries)
        self._references = [Reference.from_entry(e) for e in entries]
        # Main references first: a follow-up shares their sets where the grader's memo does (`OfflineGrader`).
        self._misconceived = [
            r
            for r in [*self._references, *(f for e in entries for f in follow_up_references(e))]
            if r.misconceptions
        ]
        self._wanted = self._texts()
        wanted_sentences, wanted_words = self._wanted
        sentences, words, trusted, in_words = self._read()
        self._vectors = {t: sentences[k] for t, k in wanted_sentences.items() if k in sentences}
        self._words = {}
        for t, k in wanted_words.items():
            if k in words:
                starts, ends, vectors = words[k]
                said = [t[a:b].lower() for a, b in zip(starts, ends, strict=True)]
                self._words[t] = WordVectors(said, starts, ends, vectors)
        self.embedder.pin(self._vectors, self._words)
        self._trusted, self._in_words = {}, {}
        for reference in self._references:
            key = trusted_key(self.embedder.id, self.rules, reference)
            if key in trusted:
                self._trusted[key] = trusted[key]
                self.grader.know_trusted_contrasts(reference, trusted[key])
        for reference in self._misconceived:
            key = in_words_key(self.embedder.id, self.rules, reference)
            if key in in_words:
                self._in_words[key] = in_words[key]
                self.grader.know_misconceptions_in_words(reference, in_words[key])
        used = len(self._vectors) + len(self._words) + len(self._trusted) + len(self._in_words)
        self._stale = not sentences or len(sentences) + len(words) + len(trusted) + len(in_words) != used
        return len(wanted_sentences) - len(self._vectors) + len(wanted_words) - len(self._words)

    def complete(self) -> int:
        """Do the work `load` did not find, pin it, and write the files if anything changed. Returns how many
        texts were encoded (texts a grading encoded meanwhile come from the embedder's cache)."""
        wanted_sentences, wanted_words = self._wanted
        todo_words = [t for t in wanted_words if t not in self._words]
        for start in range(0, len(todo_words), CHUNK):
            part = todo_words[start : start + CHUNK]
            said = dict(zip(part, self.embedder.embed_words(part), strict=True))
            self.embedder.pin({}, said)
            self._words.update(said)
        # After the words: their pass gave the key points' sentence vectors, as it does when grading.
        todo = [t for t in wanted_sentences if t not in self._vectors]
        for start in range(0, len(todo), CHUNK):
            part = todo[start : start + CHUNK]
            found = dict(zip(part, self.embedder.embed(part), strict=True))
            self.embedder.pin(found)
            self._vectors.update(found)
        trusted = 0
        for reference in self._references:
            key = trusted_key(self.embedder.id, self.rules, reference)
            if key not in self._trusted:
                self._trusted[key] = self.grader.trusted_contrasts(reference)
                trusted += 1
        # The reference answer's own words, read once per entry (the word cache serves its follow-ups).
        in_words = 0
        for reference in self._misconceived:
            key = in_words_key(self.embedder.id, self.rules, reference)
            if key not in self._in_words:
                self._in_words[key] = sorted(self.grader.misconceptions_in_words(reference))
                in_words += 1
        if todo_words or todo or in_words or trusted or self._stale:
            self._write()
        return len(todo_words) + len(todo)

    def _texts(self) -> tuple[dict[str, str], dict[str, str]]:
        """Each text of the bank's entries with its key: (sentence texts, word texts)."""
        sentences: dict[str, str] = {}
        words: dict[str, str] = {}
        for reference in self._references:
            these, their_words = entry_texts(reference)
            sentences.update((t, vector_key(self.embedder.id, t)) for t in these if t not in sentences)
            words.update((t, vector_key(self.embedder.id, t)) for t in their_words if t not in words)
        return sentences, words

    def _read(
        self,
    ) -> tuple[
        dict[str, np.ndarray], dict[str, _Words], dict[str, dict[int, list[int]]], dict[str, list[int]]
    ]:
        """The files' rows by key; empty when there are none, or they are of another model, disagree or are
        unreadable."""
        files = self._files()
        if files is None or not files[1].exists():
            return {}, {}, {}, {}
        npy, listing = files
        try:
            index = json.loads(listing.read_text())
            # Mapped, not read: pages are read as grading first touches them (a plain view slices faster).
            matrix = np.asarray(np.load(npy, mmap_mode="r", allow_pickle=False))
            n_sentences, counts = len(index["sentences"]), index["word_counts"]
            if (
                index["model"] != self.embedder.id
                or matrix.ndim != 2
                or len(matrix) != n_sentences + sum(counts)
            ):
                log.warning("the grading work kept in %s does not match; doing it again", npy)
                return {}, {}, {}, {}
            sentences = dict(zip(index["sentences"], matrix[:n_sentences], strict=True))
            words: dict[str, _Words] = {}
            row, at = n_sentences, 0
            for key, count in zip(index["words"], counts, strict=True):
                starts, ends = index["word_starts"][at : at + count], index["word_ends"][at : at + count]
                words[key] = (starts, ends, matrix[row : row + count])
                row, at = row + count, at + count
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("the grading work kept in %s is unreadable (%s); doing it again", npy, exc)
            return {}, {}, {}, {}
        if index.get("rules") != self.rules:
            return sentences, words, {}, {}
        trusted = {k: {int(i): v for i, v in sets.items()} for k, sets in index["trusted"].items()}
        return sentences, words, trusted, index.get("in_words", {})

    def _write(self) -> None:
        """Rows for exactly the current bank, each file written whole and swapped in (the index last)."""
        files = self._files()
        if files is None:
            return
        wanted_sentences, wanted_words = self._wanted
        sentences = [t for t in wanted_sentences if t in self._vectors]
        words = [t for t in wanted_words if t in self._words]
        rows = [self._vectors[t][None, :] for t in sentences] + [self._words[t].vectors for t in words]
        index = {
            "model": self.embedder.id,
            "rules": self.rules,
            "sentences": [wanted_sentences[t] for t in sentences],
            "words": [wanted_words[t] for t in words],
            "word_counts": [len(self._words[t].words) for t in words],
            "word_starts": [a for t in words for a in self._words[t].starts],
            "word_ends": [b for t in words for b in self._words[t].ends],
            "trusted": self._trusted,
            "in_words": self._in_words,
        }
        try:
            npy, listing = files
            npy.parent.mkdir(parents=True, exist_ok=True)
            matrix = np.concatenate(rows) if rows else np.zeros((0, self.embedder.dim))
            with open(f"{npy}.tmp", "wb") as f:
                np.save(f, matrix.astype(np.float32), allow_pickle=False)
            Path(f"{listing}.tmp").write_text(json.dumps(index))
            os.replace(f"{npy}.tmp", npy)
            os.replace(f"{listing}.tmp", listing)
            self._stale = False
        except OSError as exc:  # files that cannot be written only cost time at the next start
            log.warning("could not keep the grading work in %s: %s", files[0], exc)


_Words = tuple[list[int], list[int], np.ndarray]  # one text's word starts, ends and vectors
