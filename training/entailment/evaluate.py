"""Figures for the entailment model: held-out SemEval questions, held-out bank entries, baselines, size, latency.

    nice -n 10 .venv/bin/python training/entailment/evaluate.py                       # the shipped weights
    nice -n 10 .venv/bin/python training/entailment/evaluate.py --weights other.safetensors --no-baselines
    nice -n 10 .venv/bin/python training/entailment/evaluate.py --latency-only

The model is loaded through training/entailment/model.py, the module a grader would use, so the figures
are those of the file that ships. Baselines, fitted on the same training pairs as the model:
- majority: always the most frequent training label;
- cosine: the plain MiniLM cosine of premise and clause (AUC as it is; 3-way through a logistic regression on it);
- bi-encoder head: a logistic regression on MiniLM sentence features [u, v, |u-v|, u*v], the cheap design that
  needs no weights but a head.
AUC is correct (entails) vs contradictory, over the pairs with those two labels, scored by
P(entails) / (P(entails) + P(contradicts)) for the model and by the cosine for the cosine baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import data  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from train import CACHE, figures, load_pairs, sentence_encoder  # noqa: E402

from interviewer.grading import entailment as runtime  # noqa: E402  (the grader's run-time module)

# Hand-written clear cases (not from the bank, not from evals/): the unit test checks the same kind.
CLEAR_CASES = [
    (
        "L1 regularisation drives some weights to exactly zero, giving sparse models.",
        "L2 regularisation drives some weights to exactly zero, giving sparse models.",
        data.CONTRADICTS,
    ),
    (
        "L1 regularisation drives some weights to exactly zero, giving sparse models.",
        "With an L1 penalty many coefficients become exactly zero, so the model is sparse.",
        data.ENTAILS,
    ),
    (
        "PCA keeps the directions of largest variance.",
        "PCA keeps the directions of least variance.",
        data.CONTRADICTS,
    ),
    (
        "PCA keeps the directions of largest variance.",
        "PCA projects onto the axes along which the data varies the most.",
        data.ENTAILS,
    ),
    (
        "An SVM chooses the boundary with the largest margin.",
        "An SVM picks the boundary with the smallest margin.",
        data.CONTRADICTS,
    ),
    (
        "ReLU does not saturate for large positive inputs.",
        "ReLU saturates for large positive inputs.",
        data.CONTRADICTS,
    ),
    (
        "Increasing model complexity lowers bias and raises variance.",
        "A more complex model has lower bias but higher variance.",
        data.ENTAILS,
    ),
    (
        "Increasing model complexity lowers bias and raises variance.",
        "A more complex model has higher bias but lower variance.",
        data.CONTRADICTS,
    ),
    (
        "Precision is the share of predicted positives that are truly positive.",
        "Batch normalisation normalises activations over the mini-batch.",
        data.NEUTRAL,
    ),
    (
        "Each input type gets its own encoder.",
        "You never need separate encoders for different inputs.",
        data.CONTRADICTS,
    ),
]


NATURAL = {
    "bank-reference",
    "bank-misconception",
    "bank-misconception-correction",
    "bank-unrelated-sentence",
    "bank-other-point",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def labels_of(pairs: list[data.Pair]) -> np.ndarray:
    return np.array([p.label for p in pairs])


def breakdown(pairs: list[data.Pair], probs: np.ndarray) -> dict[str, dict[str, float]]:
    """Per source: how many pairs and the share judged as their own label."""
    out: dict[str, dict[str, float]] = {}
    for source in sorted({p.source for p in pairs}):
        rows = [i for i, p in enumerate(pairs) if p.source == source]
        wanted = labels_of([pairs[i] for i in rows])
        out[source] = {
            "pairs": len(rows),
            "label": data.LABELS[int(wanted[0])] if len(set(wanted.tolist())) == 1 else "mixed",
            "share_right": float((probs[rows].argmax(1) == wanted).mean()),
        }
    return out


def confusion(probs: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, int]]:
    """Rows: the true label; columns: the judged one."""
    predicted = probs.argmax(1)
    return {
        data.LABELS[t]: {data.LABELS[j]: int(((labels == t) & (predicted == j)).sum()) for j in range(3)}
        for t in range(3)
    }


def operating_points(probs: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """What a grader's cut-offs would do: flag a contradiction when P(contradicts) >= t, give credit when
    P(entails) >= t. `caught` is the share of the true class flagged; `false` the share of the opposite class."""
    out: dict[str, dict[str, float]] = {}
    entails, contradicts = labels == data.ENTAILS, labels == data.CONTRADICTS
    for cut in (0.5, 0.7, 0.9):
        flag = probs[:, data.CONTRADICTS] >= cut
        credit = probs[:, data.ENTAILS] >= cut
        out[f"{cut}"] = {
            "contradiction_caught": float(flag[contradicts].mean()) if contradicts.any() else float("nan"),
            "correct_flagged_as_contradiction": float(flag[entails].mean())
            if entails.any()
            else float("nan"),
            "correct_credited": float(credit[entails].mean()) if entails.any() else float("nan"),
            "contradiction_credited": float(credit[contradicts].mean())
            if contradicts.any()
            else float("nan"),
        }
    return out


def model_figures(model: runtime.EntailmentModel, sets: dict[str, list[data.Pair]]) -> dict:
    result: dict = {}
    for name, pairs in sets.items():
        tick = time.time()
        probs = model.judge_pairs([(p.premise, p.hypothesis) for p in pairs])
        log(f"{name}: {len(pairs)} pairs in {time.time() - tick:.0f}s")
        result[name] = figures(probs, labels_of(pairs)) | {"pairs": len(pairs)}
        result[name]["confusion"] = confusion(probs, labels_of(pairs))
        result[name]["operating_points"] = operating_points(probs, labels_of(pairs))
        if name.startswith("semeval"):
            for dataset in ("beetle", "scientsbank"):
                rows = [i for i, p in enumerate(pairs) if p.source == f"semeval-{dataset}"]
                result[name][dataset] = figures(probs[rows], labels_of([pairs[i] for i in rows]))
        else:
            result[name]["by_source"] = breakdown(pairs, probs)
    return result


def baseline_figures(splits: dict[str, list[data.Pair]], sets: dict[str, list[data.Pair]]) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train = splits["semeval-train"] + splits["bank-train"]
    texts = sorted({t for pairs in [train, *sets.values()] for p in pairs for t in (p.premise, p.hypothesis)})
    cache = CACHE / f"sentence-vectors-{len(texts)}.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        log(f"embedding {len(texts)} texts with the plain MiniLM")
        vectors = np.asarray(sentence_encoder()(texts), dtype=np.float32)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    index = {t: i for i, t in enumerate(texts)}

    def features(pairs: list[data.Pair]) -> tuple[np.ndarray, np.ndarray]:
        u = vectors[[index[p.premise] for p in pairs]]
        v = vectors[[index[p.hypothesis] for p in pairs]]
        return (u * v).sum(1, keepdims=True), np.hstack([u, v, np.abs(u - v), u * v])

    train_cos, train_feat = features(train)
    y = labels_of(train)
    majority = int(np.bincount(y).argmax())
    cosine_3way = LogisticRegression(max_iter=1000).fit(train_cos, y)
    tick = time.time()
    bi_head = LogisticRegression(max_iter=2000, C=1.0).fit(train_feat, y)
    log(f"bi-encoder head fitted in {time.time() - tick:.0f}s")
    result: dict = {}
    for name, pairs in sets.items():
        cos, feat = features(pairs)
        labels = labels_of(pairs)
        keep = labels != data.NEUTRAL
        one_hot = np.eye(3)[np.full(len(pairs), majority)]
        cos_probs = cosine_3way.predict_proba(cos)
        cos_fig = figures(cos_probs, labels)
        cos_fig["auc_correct_vs_contradictory"] = float(
            roc_auc_score(labels[keep] == data.ENTAILS, cos[keep, 0])
        )
        result[name] = {
            "majority": figures(one_hot, labels) | {"auc_correct_vs_contradictory": 0.5},
            "cosine": cos_fig,
            "bi_encoder_head": figures(bi_head.predict_proba(feat), labels),
        }
        if not name.startswith("semeval"):
            result[name]["bi_encoder_head"]["by_source"] = breakdown(pairs, bi_head.predict_proba(feat))
    return result


def latency(model: runtime.EntailmentModel, pairs: list[data.Pair], threads: int) -> dict[str, float]:
    torch.set_num_threads(threads)
    tick = time.perf_counter()
    model.load()
    load_seconds = time.perf_counter() - tick
    model.judge_pairs([(p.premise, p.hypothesis) for p in pairs[:16]])  # warm up
    single = []
    for p in pairs[:60]:
        tick = time.perf_counter()
        model.judge(p.premise, [p.hypothesis])
        single.append(time.perf_counter() - tick)
    batched = []
    for start in range(0, 16 * 20, 16):
        chunk = pairs[start : start + 16]
        tick = time.perf_counter()
        model.judge_pairs([(p.premise, p.hypothesis) for p in chunk])
        batched.append(time.perf_counter() - tick)
    # For scale: the grader already embeds texts with the same MiniLM; the bare encode of the same 16 pairs' texts.
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(runtime.bundled_model_path()), device="cpu", local_files_only=True)
    encode = []
    for start in range(0, 16 * 20, 16):
        chunk = pairs[start : start + 16]
        texts = [t for p in chunk for t in (p.premise, p.hypothesis)]
        tick = time.perf_counter()
        encoder.encode(texts, batch_size=64, show_progress_bar=False)
        encode.append(time.perf_counter() - tick)
    return {
        "threads": threads,
        "load_seconds": round(load_seconds, 2),
        "per_pair_ms_p50": round(1000 * statistics.median(single), 1),
        "per_pair_ms_p90": round(1000 * float(np.percentile(single, 90)), 1),
        "per_batch16_ms_p50": round(1000 * statistics.median(batched), 1),
        "per_batch16_ms_p90": round(1000 * float(np.percentile(batched, 90)), 1),
        "bare_encode_of_same_32_texts_ms_p50": round(1000 * statistics.median(encode), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def clear_cases(model: runtime.EntailmentModel) -> list[dict]:
    probs = model.judge_pairs([(a, b) for a, b, _ in CLEAR_CASES])
    return [
        {
            "premise": a,
            "clause": b,
            "want": data.LABELS[want],
            "got": data.LABELS[int(row.argmax())],
            "probs": [round(float(x), 3) for x in row],
        }
        for (a, b, want), row in zip(CLEAR_CASES, probs, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", type=Path, default=runtime.WEIGHTS)
    parser.add_argument("--baselines", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = runtime.EntailmentModel(args.weights)
    splits = load_pairs(CACHE)
    sets = {
        "semeval-test": splits["semeval-test"],
        "bank-test": splits["bank-test"],
        # the bank's own sentences only, no made-up edits: reference sentences, misconceptions, other points
        "bank-test-natural": [p for p in splits["bank-test"] if p.source in NATURAL],
    }
    result: dict = {
        "weights": str(args.weights),
        "weights_bytes": args.weights.stat().st_size,
        "latency": latency(model, splits["bank-test"] + splits["semeval-test"], args.threads),
    }
    training = json.loads(model.metadata.get("training", "{}"))
    result["training_seconds"] = training.get("seconds")
    result["best_epoch"] = training.get("best_epoch")
    if not args.latency_only:
        result["model"] = model_figures(model, sets)
        result["clear_cases"] = clear_cases(model)
        if args.baselines:
            result["baselines"] = baseline_figures(splits, sets)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
