"""Drafting bank entries from someone's own question-and-answer document (`interviewer bank import`).

A draft is assembled from what the document says: the question, its answer as the reference answer, key
points with a probe each, the document's own answering advice and reading list, and a type and topic guessed
from keywords. With an LLM configured, the LLM drafts the key points (interviewer/content/key_point_drafting.py);
without one, or when it fails, they come from the answer's sentences (the first, usually the definition,
weighs most).
Drafts are a starting point for a human editor: every guess is listed in a comment above the entry, and an
answer the document lacks is left as a TODO that `bank validate` accepts but the quality tests do not.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from interviewer.config import Settings
from interviewer.content.documents import Document, FoundQuestion, parse_file
from interviewer.content.key_point_drafting import LLMKeyPointDrafter
from interviewer.content.line_shapes import QUESTION_WORDS
from interviewer.content.loader import load_bank
from interviewer.errors import ContentError, ImportProblem, LLMError
from interviewer.models import BankEntry, QuestionType
from interviewer.text import STOPWORDS, content_tokens, sentence_spans

if TYPE_CHECKING:
    from interviewer.llm.chat_model import ChatModel

MAX_KEY_POINTS = 5
NO_ANSWER = "TODO: the source gives no answer. Write what a strong candidate says in one to two minutes."

# Checked in order; the first type whose pattern matches the question wins.
_TYPE_PATTERNS: list[tuple[QuestionType, str]] = [
    (
        QuestionType.CODING,
        r"\bwrite (?:a|the) (?:function|program|code|pseudo-?code)|\bimplement\b|\bfrom scratch\b"
        r"|\bgiven (?:a|an|two) (?:list|string|array|dictionary|dict|linked list|sequence)",
    ),
    (
        QuestionType.BEHAVIORAL,
        r"\btell me about a time\b|\byour (?:favou?rite|experience|last|past|biggest|greatest)"
        r"|\bdo you have (?:experience|research)\b|\bwhy do you want\b|\bfailures?\b|\bmistakes?\b"
        r"|\bquestions? (?:do you have|to ask)\b|\bdo you use\b|\byou(?:'ve| have) read\b",
    ),
    (
        QuestionType.SYSTEM_DESIGN,
        r"\bdesign (?:a|an|the)\b.*\bsystem\b|\bbuild (?:a|an)\b.*\bsystem\b|\barchitecture\b"
        r"|\bat scale\b|\blatency\b",
    ),
    (
        QuestionType.CASE_STUDY,
        r"\blet'?s say\b|\bsuppose\b|\byou work at\b|\bhow would you build (?:a|an) model\b"
        r"|\bbuild a model to\b",
    ),
    (
        QuestionType.STATISTICS,
        r"\bprobabilit|\bdistribution\b|\bsampl|\bp-?value\b|\bhypothesis\b|\bconfidence interval"
        r"|\bmean\b|\bmedian\b|\bvariance\b|\bcovariance\b|\bA/B\b|\bcentral limit\b",
    ),
    (
        QuestionType.APPLIED,
        r"\bhow (?:would|do|should) (?:you|we)\b|\bwhat would you do\b|\bwhen would you\b",
    ),
]

# Topic slugs of the shipped bank, each with words that suggest it; the most hits wins.
_TOPIC_WORDS: dict[str, str] = {
    "ml-fundamentals": "overfitting underfitting bias variance supervised unsupervised generalization "
    "cross-validation validation parametric",
    "evaluation-metrics": "precision recall f1 roc auc accuracy metric metrics confusion evaluate evaluation",
    "linear-models": "linear logistic regression coefficient coefficients regularization lasso ridge svm kernel",
    "trees-and-ensembles": "tree trees forest boosting bagging ensemble gbm xgboost pruning",
    "neural-networks": "neural network networks deep layer layers backpropagation dropout activation cnn rnn "
    "transformer convolution autoencoder gan",
    "unsupervised-learning": "clustering cluster clusters k-means kmeans mixture em",
    "dimensionality-reduction": "pca t-sne tsne umap dimensionality reduction components",
    "nlp": "text word words embedding embeddings nlp language sentence document documents token tokens",
    "probability-and-statistics": "probability distribution statistics sample sampling mean median variance "
    "hypothesis bayes p-value",
    "feature-engineering": "feature features encoding encode one-hot categorical selection",
    "data-preparation": "missing cleaning outliers outlier imbalanced imbalance corrupted wrangling",
    "optimization": "optimization optimize descent gradient sgd adam convergence",
    "reinforcement-learning": "reinforcement reward agent policy q-learning",
    "recommendation-and-search": "recommend recommendation recommender search ranking feed",
    "ml-system-design": "system design architecture scale serving",
    "deployment-and-mlops": "deploy deployment production monitoring mlops pipeline",
    "programming": "function string list array linked hash algorithm code complexity",
    "python": "python pandas numpy",
    "behavioral": "experience team project failure failures mistake mistakes career",
}
_DEFAULT_TOPIC = "ml-fundamentals"


@dataclass
class Draft:
    """A drafted entry and what a reviewer should know about it."""

    entry: dict[str, Any]
    question: FoundQuestion
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why it does not validate yet, if it does not


def guess_type(question: str) -> QuestionType:
    lowered = question.lower().replace("’", "'")
    for qtype, pattern in _TYPE_PATTERNS:
        if re.search(pattern, lowered, re.IGNORECASE):
            return qtype
    return QuestionType.CONCEPT


def guess_topic(question: str, answer: str = "") -> str:
    words = re.findall(r"[a-z0-9][a-z0-9/+\-]*", f"{question} {question} {question} {answer}".lower())
    scores = {topic: sum(w in set(hints.split()) for w in words) for topic, hints in _TOPIC_WORDS.items()}
    best = max(scores, key=lambda t: scores[t])
    return best if scores[best] > 0 else _DEFAULT_TOPIC


def slugify(text: str, taken: set[str]) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower().replace("’", "'")) if w not in STOPWORDS]
    base = "-".join(words[:7])[:70].strip("-") or "imported-question"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _usable(sentence: str) -> bool:
    words = sentence.split()
    return (
        len(words) >= 5
        and not sentence.rstrip().endswith("?")
        and not re.match(r"^(?:I|I'm|I've|My|We|In my)\b", sentence)
        and bool(re.search(r"[a-z]", sentence))
    )


def draft_key_points(answer: str, question: str) -> list[dict[str, Any]]:
    """Up to five plain claims from the answer, in its order; the first carries weight 2."""
    sentences = [s.text.strip() for s in sentence_spans(answer)]
    chosen = [s for s in sentences if _usable(s)][:MAX_KEY_POINTS]
    points = []
    for i, sentence in enumerate(chosen):
        text = sentence if sentence[-1] in ".!" else f"{sentence}."
        points.append({"text": text, "weight": 2 if i == 0 else 1, "probe": draft_probe(sentence, question)})
    return points


_VERB = re.compile(
    r"(?<![\w-])(?:is|are|was|were|can|will|would|should|has|have|does|do|means|measures|uses|helps|leads|"
    r"involves|occurs|happens|gives|takes|makes|computes|learns|tends|allows|reduces|adds|requires|produces|"
    r"works)(?![\w-])",
    re.IGNORECASE,
)
_NOT_A_SUBJECT = frozenset(
    """it this that there these those for in while when if as because so but and or you we they such also
    however be""".split()
)


def draft_probe(sentence: str, question: str) -> str:
    """A follow-up that asks for the claim without giving it away: about the sentence's subject, or about
    the words it adds to the question."""
    verb = _VERB.search(sentence)
    subject = sentence[: verb.start()].strip(" ;:") if verb else ""
    words = subject.split()
    if (
        1 <= len(words) <= 5
        and not re.search(r"[,'’]", subject)
        and words[0].lower() not in _NOT_A_SUBJECT | QUESTION_WORDS
    ):
        first = words[0]
        if first[:1].isupper() and first[1:].islower():  # "Bias is ..." but not "KNN is ..." or "K-means ..."
            subject = first.lower() + subject[len(first) :]
        return f"What more can you say about {subject}?"
    asked = set(content_tokens(question))
    new = [
        w
        for w in content_tokens(sentence)
        if w not in asked and len(w) >= 5 and not w.endswith("ly") and not re.search(r"['’]", w)
    ]
    if new:
        return f"What would you say about {max(new, key=len)}?"
    return "Can you go further on that point?"


KeyPointDrafter = Callable[[str, str], list[dict[str, Any]]]
"""Drafts key points for (question, answer); raises `LLMError` when it cannot (see key_point_drafting.py)."""


def _key_points(
    question: FoundQuestion, answer: str, drafter: KeyPointDrafter | None, notes: list[str]
) -> list:
    if not answer:
        notes.append("no answer in the source: write the reference answer and key points")
        return []
    if drafter is not None:
        try:
            points = drafter(question.text, answer)
            notes.append("key points and probes drafted by the LLM: check each claim")
            return points
        except LLMError as exc:
            notes.append(
                f"the LLM drafted no key points ({exc.reason}), so they come from the answer's sentences"
            )
    points = draft_key_points(answer, question.text)
    if points:
        notes.append("key points and probes are drafted from the answer's sentences: check each claim")
    return points


def draft_entry(
    question: FoundQuestion,
    document: str,
    taken: set[str],
    topic: str | None = None,
    drafter: KeyPointDrafter | None = None,
) -> Draft:
    answer = question.answer or question.example_answer
    qtype = guess_type(question.text)
    topic = topic or guess_topic(question.text, answer)
    notes = [
        f"{document} {question.ref} (line {question.line})",
        f"guessed type {qtype.value} and topic {topic}; difficulty 2 is a default",
    ]
    entry: dict[str, Any] = {
        "id": slugify(question.text, taken),
        "question": question.text,
        "reference_answer": " ".join(answer.split()) or NO_ANSWER,
        "key_points": _key_points(question, answer, drafter, notes),
        "type": qtype.value,
        "topic": topic,
        "difficulty": 2,
        "tip": " ".join(question.tips)
        or "TODO: say how to answer well: what to lead with, how to structure it, a pitfall to avoid.",
    }
    if qtype is QuestionType.BEHAVIORAL:
        entry["rubric"] = "open-ended"
    if question.further_reading:
        entry["further_reading"] = list(question.further_reading)
    entry["sources"] = [{"document": document, "ref": question.ref}]
    if len(entry["key_points"]) < 3:
        notes.append("a finished entry has 3-7 key points")
    if qtype is QuestionType.CODING:
        notes.append("coding: add `solution`, `complexity` and at least two `examples`")
    draft = Draft(entry=entry, question=question, notes=notes)
    try:
        BankEntry.model_validate(entry)
    except ValidationError as exc:
        draft.problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
        ]
    return draft


def draft_entries(
    document: Document,
    topic: str | None = None,
    taken: Iterable[str] = (),
    drafter: KeyPointDrafter | None = None,
) -> list[Draft]:
    used = set(taken)
    return [draft_entry(q, document.stem, used, topic, drafter) for q in document.questions]


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = ">" if len(value) > 100 and "\n" not in value else ("|" if "\n" in value else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(drafts: list[Draft], source: str) -> str:
    """The drafts as a bank file, each preceded by comments saying where it came from and what to check."""
    parts = [
        f"# DRAFT bank entries imported by `interviewer bank import` from {source}.\n"
        "# Review every entry before moving it into bank/: rewrite answers in your own words, correct what the\n"
        "# source gets wrong, keep 3-7 key points with probes, then run `interviewer bank validate`.\n"
    ]
    for draft in drafts:
        comments = [f"# DRAFT from {draft.notes[0]}", *(f"#   - {n}" for n in draft.notes[1:])]
        comments += [f"#   ! does not validate yet: {p}" for p in draft.problems]
        body = yaml.dump([draft.entry], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
        parts.append("\n".join(comments) + "\n" + body)
    return "\n".join(parts)


def import_file(
    path: Path, settings: Settings, topic: str | None = None, chat_model: ChatModel | None = None
) -> tuple[str, str]:
    """The drafts of one document as YAML, and a one-line summary for the terminal. With `chat_model`, the
    LLM drafts the key points."""
    if topic is not None and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", topic):
        raise ImportProblem(f"--topic must be a slug such as 'evaluation-metrics', got {topic!r}")
    document = parse_file(path)
    taken: set[str] = set()
    with contextlib.suppress(ContentError):  # ids may then clash with the bank's; `bank validate` says so
        taken.update(load_bank(settings.bank_dir, settings.rubrics_dir).entries)
    drafter = LLMKeyPointDrafter(chat_model) if chat_model is not None else None
    drafts = draft_entries(document, topic, taken, drafter)
    invalid = [d for d in drafts if d.problems]
    kinds = Counter(d.question.kind for d in drafts)
    summary = (
        f"Drafted {len(drafts)} entries from {path} ("
        + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        + ")."
    )
    if chat_model is not None:
        by_llm = sum(any("drafted by the LLM" in n for n in d.notes) for d in drafts)
        summary += f" Key points by the LLM ({chat_model.model}) for {by_llm} of {len(drafts)}."
        if drafter is not None and drafter.gave_up:
            summary += (
                f" The LLM endpoint {drafter.gave_up}; the others were drafted from the answers' sentences."
            )
    if invalid:
        summary += f" {len(invalid)} need more before they validate (see the '!' comments)."
    return to_yaml(drafts, path.name), summary


def write_new(path: Path, text: str, *, force: bool = False) -> None:
    """Write drafts without overwriting someone's file by accident."""
    if path.exists() and not force:
        raise ImportProblem(f"{path} already exists; choose another --out, or add --force to overwrite it")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ImportProblem(
            f"cannot write {path} ({exc.strerror}); check the folder exists and is writable"
        ) from None
