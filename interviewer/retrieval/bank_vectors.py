"""The bank's vectors, shipped in the repository (`bank_vectors.npz` beside this module), and how to rebuild them.

Building the index encodes every entry's question and reference answer: 680 texts of ~170 tokens with the
340-entry bank, about a minute on two cores, which was nearly all of the page's first start (no index, no vector
cache yet). The index's vector cache reads this file under its own rows, so a fresh clone's first start encodes
only the bank texts edited since the file was built. After editing bank/:

    make vectors        # encodes only the new texts and drops the rows of texts that left the bank

tests/test_bank_vectors.py fails while the file is stale, and says to run that.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import load_bank
from interviewer.retrieval.embeddings import Embedder, SentenceTransformerEmbedder
from interviewer.retrieval.store import indexed_texts
from interviewer.retrieval.vector_cache import BANK_VECTORS, ShippedVectors, vector_key

REBUILD = "make vectors"  # the one-line command, for messages


def repository_texts() -> list[str]:
    """The texts the index embeds for the repository's bank (bank/ and rubrics/ of this checkout)."""
    bank = load_bank(PROJECT_DIR / "bank", PROJECT_DIR / "rubrics")
    return indexed_texts(bank.entries.values())


@dataclass(frozen=True)
class Staleness:
    """How shipped vectors and the bank's texts disagree; empty (falsy) when they agree."""

    missing: list[str]  # bank texts with no row
    unused: int  # rows of no bank text
    model: str | None = None  # the file's model, when it is not the expected one

    def __bool__(self) -> bool:
        return bool(self.missing or self.unused or self.model is not None)

    def summary(self) -> str:
        if self.model is not None:
            return f"the file holds vectors of {self.model!r}"
        return f"{len(self.missing)} bank texts have no vector, {self.unused} vectors belong to no bank text"


def staleness(shipped: ShippedVectors, texts: Sequence[str], model_id: str) -> Staleness:
    if shipped.model != model_id:
        return Staleness(list(texts), len(shipped.rows), shipped.model)
    wanted = {vector_key(model_id, t): t for t in texts}
    return Staleness(
        missing=[t for k, t in wanted.items() if k not in shipped.rows],
        unused=len(shipped.rows.keys() - wanted.keys()),
    )


def build(
    texts: Sequence[str], embedder: Embedder, previous: ShippedVectors | None = None
) -> tuple[ShippedVectors, int]:
    """Vectors of exactly `texts`: rows of `previous` (same model) kept as they are, the other texts encoded.
    Returns them and how many texts were encoded."""
    kept = previous.rows if previous is not None and previous.model == embedder.id else {}
    keys = {t: vector_key(embedder.id, t) for t in dict.fromkeys(texts)}
    todo = [t for t, k in keys.items() if k not in kept]
    fresh = dict(zip(todo, embedder.embed(todo), strict=True)) if todo else {}
    rows = {k: kept[k] if k in kept else fresh[t] for t, k in keys.items()}
    return ShippedVectors(embedder.id, rows), len(todo)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m interviewer.retrieval.bank_vectors",
        description=f"Rebuild {BANK_VECTORS.name}, the bank's vectors shipped in the repository.",
    )
    parser.add_argument("--all", action="store_true", help="encode every text again (after a model change)")
    parser.add_argument(
        "--check", action="store_true", help="only say whether the file is stale (exit 1 if so)"
    )
    args = parser.parse_args(argv)
    embedder = SentenceTransformerEmbedder()  # the bundled model; loaded only if something is encoded
    texts = repository_texts()
    try:
        previous: ShippedVectors | None = ShippedVectors.read(BANK_VECTORS)
    except (OSError, ValueError, KeyError):
        previous = None
    if args.check:
        stale = staleness(previous, texts, embedder.id) if previous else Staleness(texts, 0)
        print(
            f"{BANK_VECTORS.name}: "
            + (f"stale ({stale.summary()}); run `{REBUILD}`" if stale else "up to date")
        )
        return 1 if stale else 0
    shipped, encoded = build(texts, embedder, None if args.all else previous)
    shipped.write(BANK_VECTORS)
    size = BANK_VECTORS.stat().st_size
    print(f"{BANK_VECTORS}: {len(shipped.rows)} vectors ({encoded} encoded now), {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
