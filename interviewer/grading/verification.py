"""Whether the words an LLM grader quoted make the key point it credited them for: read offline first, and where
that reading doubts the credit, asked of a second, small LLM call that sees only the key point and the clause.

A fooled or lenient grading model quotes the candidate's real sentences and credits every point, so checking that
the quote is verbatim stops nothing. Two readers that the rest of the answer cannot reach check it instead:

1. **The offline reading** (`read_quotes`): the offline grader's word alignment of the point in the clause alone
   (question words demoted), with its thresholds. Covered needs word recall 0.5 and sentence similarity
   `COVERED_MIN_SIMILARITY`; partial needs recall 0.35 and no other key point matching the clause clearly better
   (`BEST_MATCH_MARGIN`). It costs no call, but it reads words, not meaning: a correct answer in words of its
   own ("Of the things you flagged, precision says how many were right") reads as missing.
2. **The verification call** (`ClaimVerifier`), for the claims the offline reading doubts (it reads less than the
   model credited). One call per answer, one item per doubted claim, each item holding only the key point, the
   claim ("fully" or "in part") and the quoted clause, fenced as data. It never sees the question, the answer
   or the other clauses, so an instruction elsewhere in the answer never reaches it; a clause that itself
   addresses the grader was already refused as evidence (`guards.addresses_the_grader`) and is never sent. It
   answers yes or no per item, reason first; the score is still computed in code. Among the items is a decoy
   (`with_decoys`, up to three): a quoted clause paired with one of the question's misconceptions, worded like
   the rest. A verifier that confirms one is not reading, and none of its verdicts in that call stands.

The verifier can be fooled too, so what it may confirm is bounded without it (`worth_verifying`): only a claim
whose clause bears some trace of the point (recall at least `TRACE_MIN_RECALL`, the offline grader's credit
floor); of a clause quoted for two points, only the one it matches best; and none of a clause quoted for more
(`MAX_POINTS_PER_CLAUSE`): a model that cites one vague sentence for every point is not reading, and the
verifier never hears of it. Nor does it hear of any claim in an answer holding text addressed to the grader
(`LLMGrader`): such an answer gets no benefit of the doubt. Everything else the offline reading doubts keeps what
that reading gives it. tests/test_llm_obliging.py measures both sides. A grading model that credits every point,
with a verifier that says yes to everything, lifts no weak answer more than 0.7 above the honest grade; honest
models keep the credit of correct answers in words of their own. A lenient model that quotes each vague
sentence only for its nearest point, with a verifier that says yes to everything, lifted a one-sentence answer
by up to 3.2; the decoys give such a verifier away, and the lift is 0.7, as with an honest verifier. The limit:
a verifier lenient with vague clauses yet strict with wrong statements is not given away by the decoys.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.grading.alignment import answer_words, match_point, point_words, question_stems
from interviewer.grading.guards import novel_content
from interviewer.grading.offline import OfflineGrader
from interviewer.llm import prompts
from interviewer.llm.chat_model import ChatModel, Message
from interviewer.models import ClaimVerdicts, KeyPoint, KeyPointStatus, Reference

# A quoted clause is evidence only of the key point its words match best (word recall within this margin of its
# best match among the entry's key points), or of a point it covers outright. Every honest sentence of
# tests/llm_credit_answers.py matches its own point best; a margin of 0.1 let a vague sentence earn two points
# (largest lift 1.5, before the verification call existed).
BEST_MATCH_MARGIN = 0.03
# A clause covers a key point outright only if its sentence vector is this close to the point's too, besides the
# word recall: recall alone credits "When the model learns the data too well." with "An overfit model performs
# well on the training data but much worse on unseen data." (recall 0.54, similarity 0.47; largest lift 1.7).
COVERED_MIN_SIMILARITY = 0.5
# The least word recall of a point in its clause for the verifier to be asked about it: the offline grader's
# credit floor (below it, recall is noise: OfflineThresholds.credit_floor). The correct paraphrases of
# tests/llm_credit_answers.py reach 0.18 at least.
TRACE_MIN_RECALL = 0.15
# The most key points one clause may be quoted for and still go to the verifier. Every honest sentence of
# tests/llm_credit_answers.py makes two at most; an obliging or lenient model quotes a weak answer's one sentence
# for every point. With a verifier that says yes to everything, asking about the best-matching point of such a
# clause lifted weak answers by up to 2.3 over the honest grade (tests/test_llm_obliging.py).
MAX_POINTS_PER_CLAUSE = 2

# Decoys (control items) put into every verification call, among the real items and worded like them: a quoted
# clause paired with a statement it does not make, one of the question's misconceptions (wrong statements on the
# same subject, so a verifier swayed by topical vagueness confirms them too). A verifier that confirms a decoy is
# not reading: none of its verdicts in that call stands, and every doubted point keeps the offline reading (as
# when the call fails). With the nearest-point model and a verifier that says yes to everything, this took the
# largest lift over the honest grade from 3.2 to 0.7, mean 0.32 to 0.05 (tests/test_llm_obliging.py). Up to
# three (most questions list one or two misconceptions, so all of them): against a scripted topical verifier
# (yes when the clause's sentence similarity to the statement is at least 0.3) one decoy left a largest lift of
# 3.2 (mean 0.19), three 1.0 (0.06); docs/grader-notes.md.
DECOYS_PER_CALL = 3
# Decoys for a question with no misconceptions listed (an ad hoc question): wrong statements about ML in general.
STANDING_DECOYS = (
    "A model that fits its training data perfectly will do just as well on new data.",
    "Adding more features always makes a model more accurate on unseen data.",
    "Accuracy is the right metric for any classifier, however rare the positive class.",
    "Gradient descent always finds the global minimum of any loss function.",
)
DECOY = 0  # the key point number a decoy item carries

RANK: dict[KeyPointStatus, int] = {"missing": 0, "partial": 1, "covered": 2}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuoteReading:
    """What the offline reading finds in one quoted clause for its key point."""

    status: KeyPointStatus  # the most the clause earns the point by the offline reading
    recall: float  # the point's word recall in the clause alone


@dataclass(frozen=True)
class Claim:
    """A grading model's claim that a clause it quoted makes a key point (fully: covered; in part: partial)."""

    number: int  # the key point's number, from 1 (`DECOY` for a decoy: `point` is then a wrong statement)
    point: str
    clause: str
    status: KeyPointStatus


def read_quotes(
    offline: OfflineGrader,
    reference: Reference,
    points: list[KeyPoint],
    claimed: dict[int, str],
    similarity: dict[int, float],
) -> dict[int, QuoteReading]:
    """The offline reading of each quoted clause (`claimed`: key point number to clause), judged by the clause
    alone, never by the rest of the answer (where an instruction to the model may sit):

    - covered: the point's word recall in the clause reaches the offline "covered" threshold and the clause's
      sentence similarity to the point (`similarity`) `COVERED_MIN_SIMILARITY`;
    - partial: the recall reaches the offline "partial" threshold and no other key point matches the clause
      clearly better (`BEST_MATCH_MARGIN`): one clause makes one point;
    - missing otherwise.
    """
    if not claimed:
        return {}
    t = offline.t
    asked = question_stems(reference.question)
    embedder = offline.embedder
    keys = [point_words(v, asked) for v in embedder.embed_words([p.text for p in points])]
    clauses = sorted(set(claimed.values()))
    clause_words = dict(zip(clauses, embedder.embed_words(clauses), strict=True))
    readings: dict[int, QuoteReading] = {}
    for number, clause in claimed.items():
        words, owners = answer_words([clause_words[clause]], [0], asked)
        recalls = [match_point(key, words, owners).recall for key in keys]
        recall = recalls[number - 1]
        status: KeyPointStatus = "missing"
        if recall >= t.covered and similarity.get(number, 0.0) >= COVERED_MIN_SIMILARITY:
            status = "covered"
        elif recall >= t.partial and recall >= max(recalls) - BEST_MATCH_MARGIN:
            status = "partial"
        readings[number] = QuoteReading(status, recall)
    return readings


def worth_verifying(
    doubted: list[Claim], claimed: dict[int, str], readings: dict[int, QuoteReading], question: str
) -> list[Claim]:
    """The doubted claims the verifier is asked about. Of the clauses the model quoted (`claimed`, doubted or
    not), one quoted for more than `MAX_POINTS_PER_CLAUSE` key points is not asked about at all: a model that
    cites one clause for point after point is not reading the answer. Of a clause quoted for two points, only
    the point it matches best is asked about: one clause makes one point, whatever a verifier says. And the
    clause must bear a trace of the point (`TRACE_MIN_RECALL`) and say something the question does not (a
    master key such as "Let's solve this step by step." has no subject matter, but matches "step by step")."""
    if not doubted:
        return []
    by_clause: dict[str, list[int]] = {}
    for number, clause in sorted(claimed.items()):
        by_clause.setdefault(clause, []).append(number)
    best = {
        clause: max(numbers, key=lambda n: readings[n].recall)
        for clause, numbers in by_clause.items()
        if len(numbers) <= MAX_POINTS_PER_CLAUSE
    }
    return [
        c
        for c in doubted
        if best.get(c.clause) == c.number
        and readings[c.number].recall >= TRACE_MIN_RECALL
        and novel_content(question, c.clause)
    ]


class ClaimVerifier:
    """Asks the model, in one call, whether each clause makes its key point; sees nothing else of the answer."""

    def __init__(self, chat: ChatModel):
        self.chat = chat
        self.distrusted = 0  # calls whose verdicts were discarded: the verifier confirmed a decoy

    def confirmed(self, claims: list[Claim], wrong: Sequence[str] = ()) -> set[int]:
        """The key point numbers whose claim the model confirmed; none if it confirmed a decoy (`with_decoys`,
        drawn from `wrong`: the question's misconceptions). Raises `LLMError` when no usable reply comes."""
        if not claims:
            return set()
        items = with_decoys(claims, wrong)
        reply = self.chat.parse(
            verification_messages(items), ClaimVerdicts, check=lambda v: check_verdicts(v, len(items))
        )
        yes = [items[v.item - 1] for v in reply.verdicts if v.verdict == "yes"]
        if any(item.number == DECOY for item in yes):
            self.distrusted += 1
            log.warning("The verifier confirmed a decoy: its verdicts are discarded (offline reading kept).")
            return set()
        return {item.number for item in yes}


def with_decoys(claims: list[Claim], wrong: Sequence[str], count: int = DECOYS_PER_CALL) -> list[Claim]:
    """The items of a verification call: the claims, in order, with up to `count` decoys put in at random places.
    A decoy pairs the clause of a claim (and its wording, "fully" or "in part") with a wrong statement the
    clause cannot honestly make: one of `wrong` (the question's misconceptions), else of `STANDING_DECOYS`;
    never a key point asked about. (Not another key point of the question either: a clause may honestly make
    a point it was not quoted for; misconceptions are wrong, so the clause cannot.) Seeded by
    the claims, so the same claims always get the same items."""
    points = {c.point for c in claims}
    statements = [s for s in dict.fromkeys(wrong) if s.strip() and s not in points]
    statements = statements or [s for s in STANDING_DECOYS if s not in points]
    seed = "\n".join(f"{c.number}\t{c.status}\t{c.point}\t{c.clause}" for c in claims)
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    items = list(claims)
    for statement in rng.sample(statements, min(count, len(statements))):
        paired = rng.choice(claims)
        items.insert(rng.randint(0, len(items)), Claim(DECOY, statement, paired.clause, paired.status))
    return items


def check_verdicts(verdicts: ClaimVerdicts, n_items: int) -> None:
    """Every item judged exactly once. Raises ValueError (the chat model asks again once, with the message)."""
    items = [v.item for v in verdicts.verdicts]
    problems = []
    unknown = sorted(set(items) - set(range(1, n_items + 1)))
    if unknown:
        problems.append(f"items {unknown} do not exist (there are {n_items})")
    missing = sorted(set(range(1, n_items + 1)) - set(items))
    if missing:
        problems.append(f"items {missing} were not judged")
    twice = sorted({i for i in items if items.count(i) > 1})
    if twice:
        problems.append(f"items {twice} were judged more than once")
    if problems:
        raise ValueError("; ".join(problems))


CLAIM_WORDING: dict[KeyPointStatus, str] = {"covered": "fully", "partial": "at least in part"}


def verification_messages(claims: list[Claim]) -> list[Message]:
    """The verification prompt: one item per claim (key point, claim, clause between fresh markers shared by the
    call), the instructions again after them."""
    open_marker, close_marker = prompts.fence("\n".join(c.clause for c in claims), "clause")
    items = "\n\n".join(
        f"### Item {n}\n"
        f"Key point: {claim.point}\n"
        f"Claim: the clause states this key point {CLAIM_WORDING[claim.status]}.\n"
        f"Clause:\n{open_marker}\n{claim.clause}\n{close_marker}"
        for n, claim in enumerate(claims, start=1)
    )
    user = prompts.render(
        "verify.user",
        items=items,
        item_count=str(len(claims)),
        open_marker=open_marker,
        close_marker=close_marker,
    )
    return [
        {"role": "system", "content": prompts.render("verify.system")},
        {"role": "user", "content": user},
    ]
