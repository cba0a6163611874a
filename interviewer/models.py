"""Domain types shared by every floor of the app.

The bank and rubric files are validated against these models, the graders return a `Grade`, and the UI and
CLI speak these types rather than dicts. Content models forbid unknown fields so that a typo in a YAML file
fails loudly instead of silently dropping data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]


class QuestionType(StrEnum):
    CONCEPT = "concept"
    APPLIED = "applied"
    CASE_STUDY = "case-study"
    SYSTEM_DESIGN = "system-design"
    CODING = "coding"
    STATISTICS = "statistics"
    BEHAVIORAL = "behavioral"


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- Content: the question bank -------------------------------------------------------------------------


class KeyPoint(_Content):
    """One checkable claim a strong answer makes, and what to ask when a candidate leaves it out."""

    text: NonEmpty
    weight: float = Field(default=1.0, gt=0, le=5)
    probe: NonEmpty | None = None
    # The point stated wrongly, as a candidate might: its terms swapped, negated, the direction reversed, or a
    # common wrong version. An answer clause nearer to one of these than to the point earns nothing for it.
    contrasts: list[NonEmpty] = Field(default_factory=list)

    @field_validator("probe")
    @classmethod
    def _probe_is_a_question(cls, probe: str | None) -> str | None:
        if probe is not None and not probe.rstrip().endswith("?"):
            raise ValueError(f"a probe must be a question ending in '?', got {probe!r}")
        return probe

    @field_validator("contrasts")
    @classmethod
    def _contrasts_are_claims(cls, contrasts: list[str], info: ValidationInfo) -> list[str]:
        point = str(info.data.get("text", "")).strip().lower()
        for contrast in contrasts:
            if contrast.rstrip().endswith("?"):
                raise ValueError(f"a contrast is a wrong claim, not a question: {contrast!r}")
            if contrast.strip().lower() == point:
                raise ValueError(f"a contrast must say something other than its key point: {contrast!r}")
        return contrasts


class Misconception(_Content):
    """A wrong claim candidates commonly make, phrased the way a candidate would say it."""

    text: NonEmpty
    correction: NonEmpty


class Source(_Content):
    """Where a question came from: a seed document and the question's place in it."""

    document: NonEmpty
    ref: NonEmpty


class CodeExample(_Content):
    """A check on a coding question's reference solution: `call` evaluated after the solution equals `expected`."""

    call: NonEmpty
    expected: NonEmpty


class BankEntry(_Content):
    """One interview question with everything needed to ask, hint, grade and explain it."""

    id: Slug
    question: NonEmpty
    reference_answer: NonEmpty
    key_points: list[KeyPoint] = Field(default_factory=list, max_length=12)
    misconceptions: list[Misconception] = Field(default_factory=list)
    type: QuestionType
    topic: Slug
    difficulty: int = Field(ge=1, le=3)
    tip: NonEmpty
    further_reading: list[NonEmpty] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    solution: str | None = None
    complexity: str | None = None
    examples: list[CodeExample] = Field(default_factory=list)
    variant_of: list[Slug] = Field(default_factory=list)
    rubric: Slug | None = Field(default=None, description="Overrides the rubric chosen by question type.")

    @model_validator(mode="after")
    def _coding_has_solution(self) -> BankEntry:
        if self.type is QuestionType.CODING:
            if not (self.solution and self.solution.strip()):
                raise ValueError("coding questions need a reference `solution` in Python")
            if not self.complexity:
                raise ValueError("coding questions need the solution's `complexity`")
            if len(self.examples) < 2:
                raise ValueError("coding questions need at least two `examples` that check the solution")
        return self


# --- Content: rubrics -----------------------------------------------------------------------------------

OfflineMeasure = Literal["coverage", "accuracy", "focus", "structure", "specificity", "evidence"]
LEVELS = (0, 1, 2, 3)


class Criterion(_Content):
    """A graded dimension of an answer, with a descriptor for each level 0-3.

    `measure` names the signal the offline grader uses for this criterion; an LLM grader reads the level
    descriptors instead.
    """

    id: Slug
    name: NonEmpty
    weight: float = Field(gt=0, le=1)
    measure: OfflineMeasure
    levels: dict[int, NonEmpty]

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, str]) -> dict[int, str]:
        if sorted(levels) != list(LEVELS):
            raise ValueError(f"levels must describe exactly {list(LEVELS)}, got {sorted(levels)}")
        return levels


class Rubric(_Content):
    id: Slug
    name: NonEmpty
    applies_to: list[QuestionType] = Field(
        default_factory=list, description="Types graded by this rubric unless an entry names another."
    )
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> Rubric:
        total = sum(c.weight for c in self.criteria)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"criterion weights must sum to 1.0, got {total:g}")
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"criterion ids must be unique, got {ids}")
        return self


# --- Grading --------------------------------------------------------------------------------------------

KeyPointStatus = Literal["covered", "partial", "missing"]
GraderName = Literal["offline", "llm", "offline-fallback"]


class GradeFlag(StrEnum):
    """Something about an answer that its numbers alone do not say. Stored and exported as these strings."""

    # A guard stopped the answer: nothing in it could be graded (see STOPS_GRADING).
    EMPTY = "empty"
    NEAR_EMPTY = "near_empty"
    DONT_KNOW = "dont_know"
    COPIES_QUESTION = "copies_question"
    COPIES_REFERENCE = "copies_reference"
    OFF_TOPIC = "off_topic"
    # Graded, but part of the answer earned nothing or the score was limited.
    KEYWORD_LIST = "keyword_list"
    KEYWORD_STUFFING = "keyword_stuffing"
    INJECTION = "injection"
    PADDING = "padding"
    MISCONCEPTION = "misconception"
    UNSUPPORTED_EVIDENCE = "unsupported_evidence"
    LLM_CAPPED = "llm_capped"
    # Graded, but the grader could not tell whether a sentence makes a key point or says its opposite.
    UNSURE = "unsure"


STOPS_GRADING = frozenset(
    {
        GradeFlag.EMPTY,
        GradeFlag.NEAR_EMPTY,
        GradeFlag.DONT_KNOW,
        GradeFlag.COPIES_QUESTION,
        GradeFlag.COPIES_REFERENCE,
        GradeFlag.OFF_TOPIC,
    }
)
"""Flags of an answer stopped before grading: it scores 0, never reaches an LLM and gets no follow-up."""


class KeyPointResult(BaseModel):
    text: str
    weight: float
    status: KeyPointStatus
    evidence: str | None = Field(default=None, description="The candidate's own words, verbatim.")
    similarity: float = 0.0
    probe: str | None = None
    # How sure the grader is of `status` (0-1), and when unsure, why: the candidate should check the point.
    confidence: float = Field(default=1.0, ge=0, le=1)
    doubt: str | None = None


class CriterionScore(BaseModel):
    id: str
    name: str
    weight: float
    level: int = Field(ge=0, le=3)
    score: float = Field(ge=0, le=10)
    rationale: str = ""


class MisconceptionFound(BaseModel):
    text: str
    correction: str
    evidence: str

    @property
    def quoted(self) -> str:
        """The evidence as it reads in quotation marks inside a sentence: without its closing full stop."""
        return self.evidence.rstrip(" .")


class Feedback(BaseModel):
    strengths: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    model_answer: str = ""
    summary: str = ""


class Grade(BaseModel):
    """A graded answer. `score` is always computed in code from the judgements below it."""

    score: float = Field(ge=0, le=10)
    max_score: float = 10.0
    grader: GraderName
    criteria: list[CriterionScore] = Field(default_factory=list)
    key_points: list[KeyPointResult] = Field(default_factory=list)
    misconceptions: list[MisconceptionFound] = Field(default_factory=list)
    feedback: Feedback = Field(default_factory=Feedback)
    flags: list[GradeFlag] = Field(default_factory=list)
    reference_id: str | None = None
    reference_similarity: float | None = None
    fallback_reason: str | None = None
    next_move: Literal["follow_up", "move_on"] | None = Field(
        default=None, description="The grader's advice to the interviewer; None leaves it to the policy."
    )
    follow_up_point: str | None = Field(default=None, description="The missed key point to ask about next.")
    llm_calls: int = Field(
        default=0,
        exclude=True,  # what grading cost, not what the answer earned: never stored or exported
        description="LLM calls this grade took (0 offline): the session's turn budget counts them.",
    )

    @property
    def missed(self) -> list[KeyPointResult]:
        """Key points not fully covered, most important first."""
        return sorted((k for k in self.key_points if k.status != "covered"), key=lambda k: -k.weight)


# --- What an LLM grader is asked to return (its structured output) -------------------------------------
# Reasons come before verdicts (evidence before status, rationale before level), so the model writes its
# grounds first. Scores are not asked for: they are computed in code from these judgements.


class KeyPointJudgement(BaseModel):
    key_point: int = Field(description="The key point's number in the list.")
    evidence: str = Field(description="The candidate's words that make the point, copied exactly; or ''.")
    status: KeyPointStatus


class MisconceptionJudgement(BaseModel):
    misconception: int = Field(description="The misconception's number in the list.")
    evidence: str = Field(description="The candidate's own words that state it, copied exactly.")


class CriterionJudgement(BaseModel):
    criterion: str = Field(description="The criterion id.")
    rationale: str = Field(description="One or two sentences on why, written before choosing the level.")
    level: int = Field(ge=0, le=3)


class NextMove(BaseModel):
    action: Literal["follow_up", "move_on"]
    key_point: int | None = Field(description="With follow_up: the number of the missed point to ask about.")


class GradingJudgement(BaseModel):
    key_points: list[KeyPointJudgement]
    misconceptions: list[MisconceptionJudgement]
    criteria: list[CriterionJudgement]
    feedback: str = Field(description="Two to four sentences to the candidate: what was good, what to add.")
    next_move: NextMove


class FollowUpQuestion(BaseModel):
    question: str = Field(description="One short follow-up question to the candidate.")


class ClaimVerdict(BaseModel):
    """The verification call's verdict on one claim: that a quoted clause states a key point (reason first)."""

    item: int = Field(description="The item's number.")
    reason: str = Field(description="One sentence comparing what the clause says with the key point.")
    verdict: Literal["yes", "no"] = Field(description="yes only if the clause states the point as claimed.")


class ClaimVerdicts(BaseModel):
    verdicts: list[ClaimVerdict]


class Reference(BaseModel):
    """What an answer is graded against: a bank entry, or an ad hoc question and reference answer."""

    question: str
    reference_answer: str
    key_points: list[KeyPoint] = Field(default_factory=list)
    misconceptions: list[Misconception] = Field(default_factory=list)
    type: QuestionType = QuestionType.CONCEPT
    entry_id: str | None = None
    similarity: float | None = None

    @classmethod
    def from_entry(cls, entry: BankEntry, similarity: float | None = None) -> Reference:
        return cls(
            question=entry.question,
            reference_answer=entry.reference_answer,
            key_points=list(entry.key_points),
            misconceptions=list(entry.misconceptions),
            type=entry.type,
            entry_id=entry.id,
            similarity=similarity,
        )


class SearchHit(BaseModel):
    entry_id: str
    question: str
    similarity: float


# --- Interview sessions ---------------------------------------------------------------------------------

Mode = Literal["study", "exam"]
TurnKind = Literal[
    "question", "follow_up", "answer", "hint", "repeat", "skip", "dont_know", "feedback", "end"
]


class Attempt(BaseModel):
    """A counted, graded answer to a bank question (its main answer, not practice after a reveal): what "Try
    again" compares a new answer with (`interview/retry.py`)."""

    entry_id: str
    session_id: str
    answered_at: str = Field(description="When its interview started, ISO 8601 in UTC.")
    answer: str
    grade: Grade


class SessionConfig(BaseModel):
    """What the candidate chose when setting up a session."""

    topics: list[str] = Field(default_factory=list)
    types: list[QuestionType] = Field(default_factory=list)
    difficulties: list[int] = Field(default_factory=list)
    num_questions: int = Field(default=5, ge=1, le=50)
    max_follow_ups: int = Field(default=2, ge=0, le=3)
    mode: Mode = "study"
    seed: int | None = None
    question_ids: list[str] = Field(default_factory=list, description="Ask exactly these, in order.")
    time_limit_seconds: int | None = Field(
        default=None, ge=10, le=3600, description="Exam mode: time allowed for each question or follow-up."
    )
    retry_of: Attempt | None = Field(
        default=None, description="Try again: the earlier answer this one-question session is compared with."
    )


class Turn(BaseModel):
    """One message in the interview: who said it, what kind it was, and the grade when it was an answer."""

    role: Literal["interviewer", "candidate"]
    kind: TurnKind
    text: str
    grade: Grade | None = None
    key_point: str | None = None


class QuestionRecord(BaseModel):
    """Everything that happened around one bank question."""

    entry_id: str
    question: str
    topic: str
    type: QuestionType
    difficulty: int
    turns: list[Turn] = Field(default_factory=list)
    main_grade: Grade | None = None
    follow_up_grades: list[Grade] = Field(default_factory=list)
    skipped: bool = False
    hints: int = 0
    revealed: bool = False  # the reference answer was shown before the question was answered
    score: float = 0.0


class Transcript(BaseModel):
    session_id: str
    config: SessionConfig
    questions: list[QuestionRecord] = Field(default_factory=list)
    finished: bool = False
    started_at: str = ""
    ended_at: str | None = None

    @property
    def overall_score(self) -> float:
        """Mean question score, skipped questions counting 0; 0 when nothing was asked."""
        if not self.questions:
            return 0.0
        return round(sum(q.score for q in self.questions) / len(self.questions), 1)
