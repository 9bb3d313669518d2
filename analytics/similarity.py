"""Near-duplicate detection between entities of one kind (docs/design.md §2 item 8).

Two teams often create the same feature, pain or claim under different names. Similarity
is computed locally, with no network and no model download: TF-IDF over word uni- and
bigrams and over character n-grams, compared by cosine. See ``docs/statistics.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

# scikit-learn ships no type information; ``unused-ignore`` keeps the line valid should the
# project later silence the import in its mypy settings.
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped, unused-ignore]
    TfidfVectorizer,
)

# Function words that make "Integration with Slack" differ from "Slack integration".
# Deliberately short: scikit-learn's English list drops words that name product things
# ("system", "detail", "call", "bill", "show", "find", ...), which would merge "Call
# recording" with "Recording".
_STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is",
        "it", "its", "of", "on", "or", "our", "so", "that", "the", "their", "this", "to",
        "via", "we", "with", "without", "your",
    }
)  # fmt: skip

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two entities of the same kind whose texts look like the same thing."""

    a_id: str
    """The smaller of the two ids (string order), so a pair is reported one way only."""
    b_id: str
    kind: str
    similarity: float
    """Cosine similarity in [0, 1], rounded to 4 places."""


def normalise_text(text: str) -> str:
    """Lower-case, punctuation to spaces, whitespace collapsed ("Real-time" ~ "real time")."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # The underscore is a word character to the regex but a separator to people.
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def _fold_plural(token: str) -> str:
    """Fold a regular English plural onto its singular: "reports" -> "report".

    Deliberately crude (no stemmer dependency); it leaves "-ss", "-us" and "-is" alone so
    "access", "status" and "analysis" survive.
    """
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _word_ngrams(text: str) -> list[str]:
    """Content-word unigrams, bigrams and joined pairs of normalised text.

    Stop words go before bigrams are formed, and each bigram's words are sorted, so "CSV
    export" and "Export to CSV" share the bigram "csv export". Each adjacent pair also
    yields its compound ("real time" -> "realtime"). A text made only of stop words keeps
    them rather than becoming an empty vector.
    """
    tokens = text.split()
    content = [_fold_plural(t) for t in tokens if t not in _STOP_WORDS] or tokens
    pairs = list(pairwise(content))
    return (
        content
        + [" ".join(sorted(pair)) for pair in pairs]
        + [first + second for first, second in pairs]
    )


# How many similarities one block holds at most (8 bytes each): the whole n x n matrix of a
# year's entities (10,000 of a kind: 800 MB, twice) is never held, only a band of its rows.
BLOCK_CELLS = 4_000_000


def _vectorisers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """Word n-grams catch shared vocabulary whatever the order; character n-grams (within word
    boundaries) catch spelling variants and inflections ("customisable"/"customizable",
    "report"/"reports") that whole words miss. IDF is fitted on the texts given, so words
    common across the set (e.g. "dashboard" in every feature name) count for less."""
    return (
        TfidfVectorizer(analyzer=_word_ngrams, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    )


def _similarity_bands(
    texts: Sequence[str],
) -> Iterator[tuple[int, npt.NDArray[np.float64]]]:
    """The similarity matrix of already-normalised, non-empty texts, a band of rows at a time:
    ``(first_row, band)``, each entry the mean of the word and the character cosine.

    TfidfVectorizer L2-normalises each row, so a Gram matrix is the cosine matrix; each band is
    the same sparse products the whole matrix would be, so every entry is the same number.
    """
    texts = list(texts)
    if any(not t for t in texts):
        raise ValueError("texts must be normalised and non-empty")
    word_vectors, char_vectors = (v.fit_transform(texts).tocsr() for v in _vectorisers())
    word_t, char_t = word_vectors.T.tocsr(), char_vectors.T.tocsr()
    rows = max(1, BLOCK_CELLS // max(1, len(texts)))
    for start in range(0, len(texts), rows):
        stop = min(start + rows, len(texts))
        words = np.asarray((word_vectors[start:stop] @ word_t).toarray(), dtype=np.float64)
        chars = np.asarray((char_vectors[start:stop] @ char_t).toarray(), dtype=np.float64)
        # Rounding can push the cosine of identical texts a hair above 1.
        yield start, np.clip((words + chars) / 2.0, 0.0, 1.0)


def text_similarity_matrix(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Pairwise similarity of already-normalised, non-empty texts: mean of two cosines (the
    whole matrix at once; ``near_duplicate_pairs`` reads it a band at a time)."""
    bands = [band for _, band in _similarity_bands(texts)]
    return np.vstack(bands) if bands else np.zeros((0, 0))


def near_duplicate_pairs(
    items: Sequence[tuple[str, str, str]], *, min_similarity: float = 0.5
) -> list[DuplicatePair]:
    """Pairs of items of the same kind whose texts are at least ``min_similarity`` alike.

    ``items`` are ``(id, kind, text)``. Items whose text is empty once normalised are left
    out (there is nothing to compare). The threshold applies to the rounded score, so a
    pair shown as 0.5000 passes a threshold of 0.5. Sorted by score, highest first, then by
    kind and ids for a stable order.
    """
    if not 0.0 <= min_similarity <= 1.0:
        raise ValueError(f"min_similarity must be in [0, 1], got {min_similarity}")
    seen: set[str] = set()
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item_id, kind, text in items:
        if item_id in seen:
            raise ValueError(f"duplicate item id {item_id!r}")
        seen.add(item_id)
        normalised = normalise_text(text)
        if normalised:
            by_kind[kind].append((item_id, normalised))

    pairs: list[DuplicatePair] = []
    for kind, members in by_kind.items():
        if len(members) < 2:
            continue
        for start, band in _similarity_bands([text for _, text in members]):
            # Only the pairs above the diagonal, and only those that can round up to the
            # threshold, reach Python: the rest of the n^2 scores stay in the array.
            upper = (
                np.arange(band.shape[1])[None, :] > np.arange(start, start + band.shape[0])[:, None]
            )
            rows, cols = np.nonzero(upper & (band >= min_similarity - 1e-4))
            for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
                score = round(float(band[i, j]), 4)
                if score < min_similarity:
                    continue
                a_id, b_id = sorted((members[start + i][0], members[j][0]))
                pairs.append(DuplicatePair(a_id, b_id, kind, score))
    pairs.sort(key=lambda p: (-p.similarity, p.kind, p.a_id, p.b_id))
    return pairs
