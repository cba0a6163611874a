"""Building the app's parts from `Settings`: the one place that decides which implementation runs."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from interviewer.config import Settings
from interviewer.content.loader import Bank, load_bank
from interviewer.errors import LLMConfigError, NoCloseReferenceError
from interviewer.grading import entailment
from interviewer.grading.entailment import EntailmentModel
from interviewer.grading.entry_work import EntryWork
from interviewer.grading.exchanges import contrast_pairs
from interviewer.grading.grader import Grader
from interviewer.grading.offline import OfflineGrader
from interviewer.interview.follow_ups import FollowUpWriter, LLMFollowUps, ProbeFollowUps
from interviewer.interview.limits import AnswerLimits
from interviewer.interview.session import Session, SessionSnapshot
from interviewer.interview.why import Explainer, LLMExplainer, OfflineExplainer
from interviewer.llm.chat_model import ChatModel
from interviewer.models import BankEntry, QuestionType, Reference, Rubric, SessionConfig
from interviewer.retrieval.embeddings import Embedder, SentenceTransformerEmbedder
from interviewer.retrieval.model_process import ProcessEmbedder
from interviewer.retrieval.store import (
    VECTOR_CACHE_DIR,
    ChromaQuestionStore,
    IndexReport,
    QuestionFilter,
    QuestionStore,
    RecordKind,
)

# Free-text question search. With the 343-entry bank, 18 on-topic queries ("LoRA", "CUPED", "kv cache", "A/B
# testing", ...) found their entry at 0.35-0.80 and 10 off-topic ones ("medieval french poetry", "wedding
# planning", ...) reached at most 0.33 (2026-11-26); 0.30 let "medieval french poetry" through to BLEU.
SEARCH_MIN_SIMILARITY = 0.34
# A match this far below the best match is left out. Read by hand over the top 5 of 22 queries (2026-11-26):
# of 29 off-topic matches ("precision vs recall" for "mixed precision", "exploding gradients" for "diffusion
# models"), 23 sat 0.15 or more below their query's best; the share of served questions on topic rose from
# about 71% to about 90%, at the cost of 18 of 71 on-topic ones (mostly fifth-place neighbours).
SEARCH_MAX_GAP = 0.15
SEARCH_DEPTH = 40  # hits read per record kind before filtering


@dataclass(frozen=True)
class QuestionMatch:
    """A bank entry found by free text, with its best similarity (to its question or to its reference answer)."""

    entry: BankEntry
    similarity: float


@dataclass
class Services:
    """The bank, embedder, index and grader, built lazily: nothing loads until first used."""

    settings: Settings
    embedder: Embedder
    store: QuestionStore
    _indexed: bool = field(default=False, init=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, serving: bool = False) -> Services:
        """`serving`: for the web page, whose model runs in a process of its own unless the settings say not."""
        settings = settings or Settings()
        embedder: Embedder
        if serving and settings.model_process:
            embedder = ProcessEmbedder(
                settings.embedding_model,
                device=settings.embedding_device,
                threads=settings.model_threads,
            )
        else:
            embedder = SentenceTransformerEmbedder(settings.embedding_model, device=settings.embedding_device)
        store: QuestionStore
        if settings.chroma_host:
            store = ChromaQuestionStore.server(
                embedder, settings.chroma_host, settings.chroma_port, settings.chroma_collection
            )
        else:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            store = ChromaQuestionStore.embedded(
                embedder, str(settings.chroma_path), settings.chroma_collection
            )
        return cls(settings=settings, embedder=embedder, store=store)

    @cached_property
    def bank(self) -> Bank:
        return load_bank(self.settings.bank_dir, self.settings.rubrics_dir)

    @cached_property
    def grader(self) -> Grader:
        """The LLM grader (offline grader as its guard and fallback) when an endpoint is configured, else offline."""
        offline = OfflineGrader(
            self.embedder,
            pairs=self.pair_model,
            every_contrast=self.settings.pair_model == "all",
            exchange_pairs=contrast_pairs(p for e in self.bank.entries.values() for p in e.key_points),
        )
        if self.chat_model is None:
            return offline
        from interviewer.grading.llm import LLMGrader

        return LLMGrader(self.chat_model, offline)

    @cached_property
    def pair_model(self) -> EntailmentModel | None:
        """The pair model the offline grader reads contrasts with (its weights load on first use), unless off."""
        return entailment.default_model() if self.settings.pair_model != "off" else None

    @cached_property
    def answer_limits(self) -> AnswerLimits:
        return AnswerLimits(self.settings.max_answer_chars)

    @cached_property
    def chat_model(self) -> ChatModel | None:
        """The LLM endpoint, when the settings choose the LLM grader. Building it touches no network."""
        if not self.settings.uses_llm:
            return None
        if not self.settings.llm_configured:
            raise LLMConfigError(
                "is not configured (INTERVIEWER_GRADER=llm)",
                "Set OPENAI_BASE_URL (a local server) or OPENAI_API_KEY (OpenAI), or unset INTERVIEWER_GRADER.",
            )
        from interviewer.llm.chat_model import OpenAIChatModel

        return OpenAIChatModel.from_settings(self.settings)

    @cached_property
    def follow_ups(self) -> FollowUpWriter:
        if self.chat_model is None:
            return ProbeFollowUps()
        return LLMFollowUps(self.chat_model)

    @cached_property
    def explainer(self) -> Explainer:
        """Answers "Why did I lose points?": the LLM when one is configured, else the grade's own reasons."""
        if self.chat_model is None:
            return OfflineExplainer()
        return LLMExplainer(self.chat_model)

    @cached_property
    def entry_work(self) -> EntryWork | None:
        """The offline grader's work per bank entry, kept beside the vector cache (`entry_work`); None when the
        grader has no offline part."""
        offline = getattr(self.grader, "offline", self.grader)  # the LLM grader's guard and fallback
        if not isinstance(offline, OfflineGrader):
            return None
        return EntryWork(self.settings.data_dir / VECTOR_CACHE_DIR, self.embedder, offline)

    def prepare_grading(self) -> EntryWork | None:
        """Give the grader the per-entry work kept on disk, so no first answer to an entry pays for it (cheap:
        encodes nothing). `complete()` on the result does what was not kept: the page does it in the background
        once grading is ready (minutes of CPU in a new data directory, nothing on a restart)."""
        work = self.entry_work
        if work is not None:
            work.load(self.bank.entries.values())
        return work

    def index(self) -> IndexReport:
        with self._index_lock:
            report = self.store.sync(self.bank.entries.values())
            self._indexed = True
        return report

    def ensure_index(self) -> QuestionStore:
        """The store, brought in step with the bank once per process (cheap when nothing changed).

        Locked, so the page's warm-up and a first session do not both sync."""
        with self._index_lock:
            if not self._indexed:
                self.store.sync(self.bank.entries.values())
                self._indexed = True
        return self.store

    def rubric(self, question_type: QuestionType, rubric_id: str | None = None) -> Rubric:
        return self.bank.rubric_for(question_type, rubric_id)

    def reference_for_id(self, entry_id: str) -> tuple[Reference, Rubric]:
        entry = self.bank.get(entry_id)
        return Reference.from_entry(entry), self.rubric(entry.type, entry.rubric)

    def reference_for_question(self, question: str) -> tuple[Reference, Rubric]:
        """The nearest bank entry to a free-text question, refusing when nothing is close enough."""
        hits = self.ensure_index().search(question, k=1)
        threshold = self.settings.reference_min_similarity
        if not hits or hits[0].similarity < threshold:
            best = hits[0] if hits else None
            raise NoCloseReferenceError(
                question,
                best.entry_id if best else None,
                best.similarity if best else 0.0,
                threshold,
                self.bank.get(best.entry_id).question if best else "",
            )
        entry = self.bank.get(hits[0].entry_id)
        return Reference.from_entry(entry, similarity=hits[0].similarity), self.rubric(
            entry.type, entry.rubric
        )

    def find_questions(
        self,
        text: str,
        *,
        topics: Sequence[str] = (),
        types: Sequence[QuestionType] = (),
        difficulties: Sequence[int] = (),
        limit: int = 5,
    ) -> list[QuestionMatch]:
        """Bank questions about free text ("bias-variance in trees"), nearest first, within the filters.

        An entry matches by its question or by its reference answer, whichever is closer; entries below
        `SEARCH_MIN_SIMILARITY`, or `SEARCH_MAX_GAP` below the best match, are left out, so an empty list means
        nothing in the bank is about the text, and fewer than `limit` means no more are close."""
        store = self.ensure_index()
        spec = QuestionFilter(topics=topics, types=[t.value for t in types], difficulties=difficulties)
        allowed = set(store.filter(spec))
        best: dict[str, float] = {}
        kinds: tuple[RecordKind, ...] = ("question", "reference")
        for kind in kinds:
            for hit in store.search(text, k=SEARCH_DEPTH, kind=kind):
                if hit.entry_id in allowed and hit.similarity >= SEARCH_MIN_SIMILARITY:
                    best[hit.entry_id] = max(best.get(hit.entry_id, 0.0), hit.similarity)
        ranked = sorted(best, key=lambda i: -best[i])[:limit]
        close = [i for i in ranked if best[i] > best[ranked[0]] - SEARCH_MAX_GAP]
        return [QuestionMatch(self.bank.get(i), best[i]) for i in close]

    def ad_hoc_reference(self, question: str, reference_answer: str) -> tuple[Reference, Rubric]:
        return Reference(question=question, reference_answer=reference_answer), self.rubric(
            QuestionType.CONCEPT
        )

    def new_session(self, config: SessionConfig) -> Session:
        return Session(
            self.bank,
            self.ensure_index(),
            self.grader,
            config,
            max_answer_chars=self.answer_limits.max_chars,
            follow_ups=self.follow_ups,
        )

    def restore_session(self, snapshot: SessionSnapshot) -> Session:
        """A stored session, carrying on where it stopped (after a page refresh or a server restart)."""
        return Session.restore(
            self.bank,
            self.ensure_index(),
            self.grader,
            snapshot,
            max_answer_chars=self.answer_limits.max_chars,
            follow_ups=self.follow_ups,
        )
