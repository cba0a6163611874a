"""The bundled MiniLM's BERT encoder on torch alone, so a first start need not import `transformers`.

Importing `transformers` was most of what was left of the model's load on a first start (issue 15: grading ready
in 12 s). This module reads the same files itself: `tokenizer.json` with `tokenizers`, `model.safetensors` with
`safetensors`, and runs BERT's forward pass (embeddings, self-attention, GELU feed-forward, LayerNorm) in torch.
At load average 5.3 the embedder's load (import, read, embed one text) takes 2.1 s against 6.2 s through
`AutoTokenizer` and `AutoModel`, and a first start is ready to grade in 9.4 s against 12.9 s (medians); the
token ids and vectors are the same (`tests/test_minilm.py`; figures in `docs/startup-notes.md`).

`load_bert` returns None for anything but a plain `BertModel` in float32 with these files (`AutoModel` would load
weights in the configuration's dtype); the caller then runs the model through `transformers`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# What `BertModel` does differently from this forward when set to anything but these values (absent means the
# default, which is this value).
_REQUIRED = {
    "model_type": "bert",
    "hidden_act": "gelu",
    "position_embedding_type": "absolute",
    "is_decoder": False,
    "add_cross_attention": False,
    "chunk_size_feed_forward": 0,
}


def load_bert(path: Path, max_seq_length: int | None, device: str = "cpu") -> BertEncoder | None:
    """The BERT model in directory `path`, texts cut at `max_seq_length` tokens (at most the model's positions),
    or None if this module does not run its configuration."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return None
    supported = (
        isinstance(config, dict)
        and all(config.get(key, value) == value for key, value in _REQUIRED.items())
        and config.get("architectures", ["BertModel"]) == ["BertModel"]
        and config.get("torch_dtype", "float32") == config.get("dtype", "float32") == "float32"
        and (path / "tokenizer.json").is_file()
        and (path / "model.safetensors").is_file()
    )
    if not supported:
        return None
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    weights = {
        key.removeprefix("bert."): value for key, value in load_file(path / "model.safetensors").items()
    }
    if not all(w in weights for w in BertEncoder.weight_names(config["num_hidden_layers"])):
        return None
    limit = min(
        int(max_seq_length or config["max_position_embeddings"]), int(config["max_position_embeddings"])
    )
    return BertEncoder(config, weights, Tokenizer.from_file(str(path / "tokenizer.json")), limit, device)


class BertEncoder:
    """`BertModel`'s last hidden state for a batch of texts, in inference mode, and the tokenizer that feeds it.

    The tokenizer is configured here as `AutoTokenizer(texts, padding=True, truncation=True, max_length=...)`
    calls it (the file's own truncation and fixed-length padding are replaced). Not thread-safe: the tokenizer's
    padding state is shared, as in `transformers`.
    """

    def __init__(
        self, config: dict[str, Any], weights: dict[str, Any], tokenizer: Any, max_length: int, device: str
    ):
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_seq_length = max_length
        self.device = device
        self.weights = {name: weights[name].float().to(device) for name in self.weight_names(self.layers)}
        pad = tokenizer.padding or {}
        tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
        self.tokenizer = tokenizer

    @staticmethod
    def weight_names(layers: int) -> list[str]:
        embeddings = ["word_embeddings", "position_embeddings", "token_type_embeddings"]
        names = [f"embeddings.{e}.weight" for e in embeddings]
        parts = ["embeddings.LayerNorm"]
        for i in range(layers):
            layer = f"encoder.layer.{i}."
            attention = ["self.query", "self.key", "self.value", "output.dense", "output.LayerNorm"]
            parts += [layer + "attention." + a for a in attention]
            parts += [layer + "intermediate.dense", layer + "output.dense", layer + "output.LayerNorm"]
        return names + [f"{p}.{w}" for p in parts for w in ("weight", "bias")]

    def __call__(self, texts: list[str]) -> tuple[Any, Any, list[list[tuple[int, int]]]]:
        """The token vectors (batch, tokens, hidden; padding rows are meaningless), the attention mask (batch,
        tokens) and each token's character span ((0, 0) for [CLS], [SEP] and padding)."""
        encodings = self.tokenizer.encode_batch(texts)
        tokens, mask = self._encoded(encodings)
        return tokens, mask, [list(e.offsets) for e in encodings]

    def pairs(self, pairs: list[tuple[str, str]]) -> tuple[Any, Any]:
        """The token vectors and attention mask of text pairs read as one input each, ``[CLS] a [SEP] b [SEP]``
        (the second text's tokens of type 1), the longer side cut first, as a cross-encoder reads them."""
        return self._encoded(self.tokenizer.encode_batch(pairs))

    def _encoded(self, encodings: list[Any]) -> tuple[Any, Any]:
        import torch

        ids = torch.tensor([e.ids for e in encodings], device=self.device)
        types = torch.tensor([e.type_ids for e in encodings], device=self.device)
        mask = torch.tensor([e.attention_mask for e in encodings], device=self.device)
        with torch.inference_mode():
            return self.forward(ids, types, mask), mask

    def forward(self, ids: Any, types: Any, mask: Any) -> Any:
        import torch
        from torch.nn import functional as F

        w = self.weights

        def linear(x: Any, name: str) -> Any:
            return F.linear(x, w[name + ".weight"], w[name + ".bias"])

        def norm(x: Any, name: str) -> Any:
            return F.layer_norm(x, (self.dim,), w[name + ".weight"], w[name + ".bias"], self.eps)

        batch, length = ids.shape
        positions = torch.arange(length, device=ids.device)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types]
        x = norm(x + w["embeddings.position_embeddings.weight"][positions], "embeddings.LayerNorm")
        keep = mask[:, None, None, :].bool()  # a query attends to the text's tokens, never to padding
        # Texts of a batch differ in length: every step but attention works token by token, so it runs on the
        # texts' own tokens only (`real`), not on the padding of the shorter ones.
        real = mask.bool()
        x = x[real]

        def padded(y: Any) -> Any:  # (tokens, hidden) -> (batch, heads, length, head size)
            out = y.new_zeros(batch, length, self.dim)
            out[real] = y
            return out.view(batch, length, self.heads, self.dim // self.heads).transpose(1, 2)

        for i in range(self.layers):
            layer = f"encoder.layer.{i}."
            q, k, v = (padded(linear(x, f"{layer}attention.self.{m}")) for m in ("query", "key", "value"))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2)[real].reshape(-1, self.dim)
            x = norm(
                linear(attended, layer + "attention.output.dense") + x, layer + "attention.output.LayerNorm"
            )
            inner = F.gelu(linear(x, layer + "intermediate.dense"))
            x = norm(linear(inner, layer + "output.dense") + x, layer + "output.LayerNorm")
        out = x.new_zeros(batch, length, self.dim)
        out[real] = x
        x = out
        return x
