"""Near-duplicate detection between entities of one kind (docs/design.md §2 item 8).

Two teams often create the same feature, pain or claim under different names. Similarity
is computed locally, with no network and no model download: TF-IDF over word uni- and
bigrams and over character n-grams, compared by cosine. See ``docs/statistics.md``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped, unused-ignore]

# scikit-learn ships no type information; ``unused-ignore`` keeps the line valid should the
# project later silence the import in its mypy settings.
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped, unused-ignore]
    TfidfTransformer,
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


@functools.lru_cache(maxsize=1 << 16)
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
        + [f"{a} {b}" if a <= b else f"{b} {a}" for a, b in pairs]  # the pair's words sorted
        + [first + second for first, second in pairs]
    )


def _vectorisers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """Word n-grams catch shared vocabulary whatever the order; character n-grams (within word
    boundaries) catch spelling variants and inflections ("customisable"/"customizable",
    "report"/"reports") that whole words miss. IDF is fitted on the texts given, so words
    common across the set (e.g. "dashboard" in every feature name) count for less."""
    return (
        TfidfVectorizer(analyzer=_word_ngrams, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    )


def _check_texts(texts: Sequence[str]) -> list[str]:
    texts = list(texts)
    if any(not t for t in texts):
        raise ValueError("texts must be normalised and non-empty")
    return texts


def text_similarity_matrix(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Pairwise similarity of already-normalised, non-empty texts: mean of the word and the
    character cosine, as the plain whole-matrix computation (the definition of the score, and
    what ``near_duplicate_pairs`` is checked against; it holds n x n numbers, so it is for small
    sets only).

    TfidfVectorizer L2-normalises each row, so the Gram matrix is the cosine matrix.
    """
    texts = _check_texts(texts)
    if not texts:
        return np.zeros((0, 0))
    word_vectors, char_vectors = (v.fit_transform(texts).tocsr() for v in _vectorisers())
    words = np.asarray((word_vectors @ word_vectors.T.tocsr()).toarray(), dtype=np.float64)
    chars = np.asarray((char_vectors @ char_vectors.T.tocsr()).toarray(), dtype=np.float64)
    # Rounding can push the cosine of identical texts a hair above 1.
    return np.clip((words + chars) / 2.0, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# TF-IDF vectors, the same numbers as TfidfVectorizer.fit_transform, counted faster.
#
# scikit-learn counts n-grams in a Python loop, one dictionary update per n-gram: about two
# million character n-grams for 10,000 entities, seconds on their own. Here each distinct word's
# character n-grams are listed once (a text's char_wb n-grams are those of its words in turn),
# and the counting is one sparse product. The count matrix is laid out exactly as
# CountVectorizer lays it out — features numbered in sorted order, each row's entries in the
# order the features were first seen in the whole set — and TfidfTransformer, with the
# vectoriser's own settings, weighs and normalises it. The layout matters: the order of a row's
# entries is the order in which its norm and its dot products are summed, so the same layout
# gives the same floating-point numbers, bit for bit (tests compare them).


def _count_matrix(
    rows: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
    counts: npt.NDArray[np.float64],
    n_rows: int,
    terms: list[str],
) -> Any:
    """CountVectorizer's matrix from (row, label, count) triples, where labels number the terms
    in the order they were first seen (repeated triples add up)."""
    matrix = sp.csr_matrix((counts, (rows, labels)), shape=(n_rows, len(terms)), dtype=np.float64)
    matrix.sum_duplicates()  # also sorts each row by label: first-seen order
    rank = np.empty(len(terms), dtype=matrix.indices.dtype)
    rank[sorted(range(len(terms)), key=terms.__getitem__)] = np.arange(len(terms))
    # A new matrix, not new indices in the old one: renumbered, the rows are no longer in index
    # order, and the old one's cached "sorted" flag (which scipy trusts) would say they are.
    return sp.csr_matrix((matrix.data, rank[matrix.indices], matrix.indptr), shape=matrix.shape)


def _tfidf(vectoriser: TfidfVectorizer, counts: Any) -> Any:
    transformer = TfidfTransformer(
        norm=vectoriser.norm,
        use_idf=vectoriser.use_idf,
        smooth_idf=vectoriser.smooth_idf,
        sublinear_tf=vectoriser.sublinear_tf,
    )
    return transformer.fit(counts).transform(counts, copy=False).tocsr()


def _labelled(grams: list[str]) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each gram's number, numbering the distinct grams in the order they first come (these
    loops run in C: a dictionary keeps its keys in insertion order)."""
    terms = list(dict.fromkeys(grams))
    numbers = dict(zip(terms, range(len(terms)), strict=True))
    labels = np.fromiter(map(numbers.__getitem__, grams), dtype=np.int64, count=len(grams))
    return labels, terms


def _word_vectors(texts: list[str], vectoriser: TfidfVectorizer) -> Any:
    analyse = vectoriser.build_analyzer()
    per_text = [analyse(text) for text in texts]
    grams = [gram for text_grams in per_text for gram in text_grams]
    labels, terms = _labelled(grams)
    rows = np.repeat(np.arange(len(texts)), [len(text_grams) for text_grams in per_text])
    return _tfidf(vectoriser, _count_matrix(rows, labels, np.ones(len(labels)), len(texts), terms))


def _char_vectors(texts: list[str], vectoriser: TfidfVectorizer) -> Any:
    """char_wb n-grams: the analyser pads and cuts each whitespace-separated word on its own,
    so a text's n-grams are its words' n-grams in turn."""
    preprocess, analyse = vectoriser.build_preprocessor(), vectoriser.build_analyzer()
    per_text = [preprocess(text).split() for text in texts]
    word_labels, words = _labelled([token for tokens in per_text for token in tokens])
    text_rows = np.repeat(np.arange(len(texts)), [len(tokens) for tokens in per_text])
    # Words in the order first met, and each one's n-grams in the analyser's order: numbering
    # the n-grams as they come numbers them in the order the whole set first shows them.
    # (Preprocessing a word again changes nothing: lower() is idempotent.)
    per_word = [analyse(word) for word in words]
    gram_labels, terms = _labelled([gram for word_grams in per_word for gram in word_grams])
    gram_rows = np.repeat(np.arange(len(words)), [len(word_grams) for word_grams in per_word])
    texts_words = sp.csr_matrix(
        (np.ones(len(word_labels)), (text_rows, word_labels)), shape=(len(texts), len(words))
    )
    words_grams = sp.csr_matrix(
        (np.ones(len(gram_labels)), (gram_rows, gram_labels)), shape=(len(words), len(terms))
    )
    counts = (texts_words @ words_grams).tocoo()  # whole numbers: exact in float64
    return _tfidf(
        vectoriser,
        _count_matrix(
            counts.row.astype(np.int64), counts.col.astype(np.int64), counts.data, len(texts), terms
        ),
    )


def tfidf_vectors(texts: Sequence[str]) -> tuple[Any, Any]:
    """The word and the character TF-IDF vectors (CSR, rows L2-normalised) of already-normalised,
    non-empty texts: the same matrices as the vectorisers' ``fit_transform``."""
    texts = _check_texts(texts)
    word_vectoriser, char_vectoriser = _vectorisers()
    return _word_vectors(texts, word_vectoriser), _char_vectors(texts, char_vectoriser)


# ---------------------------------------------------------------------------------------------
# All pairs at or above a threshold, without the n x n products.
#
# The score of two texts is the mean of two cosines, (w.w' + c.c') / 2, which is the single dot
# product z.z' of the unit vectors z = [w, c] / sqrt(2). Character n-grams make these vectors
# dense-ish — most names share some three-letter run — so the whole product is ~5 billion
# sparse multiply-adds at 10,000 texts. Instead the features are split three ways by how many
# texts hold them:
#
# - *tail*: the rarest features, as many as fit in TAIL_WORK * n^2 multiply-adds: their part of
#   every dot product is computed exactly, as a sparse product;
# - *head*: of the rest, the HEAD_COLUMNS carrying the most weight (identical columns — the
#   n-grams of one word that no other word has — merged into one): their part is a dense
#   float32 matrix product, which BLAS does many times faster per multiply-add;
# - *middle*: whatever is left is only bounded, by Cauchy-Schwarz: its part of z.z' is at most
#   |z_mid| |z'_mid|, which rides along in the dense product as one more column.
#
# So head + bound + tail is an upper bound on every pair's score, up to float32 rounding (the
# margin below covers it): a pair below the threshold there is below it for certain. The few
# that pass are scored again in float64, and the score reported is exactly the whole-matrix
# one (see similar_pairs).

HEAD_COLUMNS = 128
TAIL_WORK = 0.5
# How many cells one band of the dense product holds at most (4 bytes each).
BLOCK_CELLS = 4_000_000
# Python rounds half-way cases by their exact binary value, so a score only rounds differently
# from the whole-matrix one if the two straddle a half-way point between 4-place numbers. The
# two are sums of the same ~200 products in different orders, within ~1e-14 of each other; a
# score nearer than this to a half-way point is computed again the whole-matrix way.
_NEAR_HALFWAY = 1e-9


@dataclass(frozen=True, slots=True)
class _Split:
    head: npt.NDArray[np.float64]
    """n x k, dense: the head columns, each merged one scaled by the root of its count."""
    mid: Any
    """CSR: the middle columns."""
    mid_norm: npt.NDArray[np.float64]
    tail: Any
    """CSR: the tail columns."""


def _split_features(z: Any) -> _Split:
    n = z.shape[0]
    columns = z.tocsc()
    columns.sort_indices()
    holders = np.diff(columns.indptr)
    by_holders = np.argsort(holders, kind="stable")
    work = np.cumsum(holders[by_holders].astype(np.float64) ** 2)
    tail = np.zeros(z.shape[1], dtype=bool)
    tail[by_holders[: int(np.searchsorted(work, TAIL_WORK * n * n, side="right"))]] = True

    groups: dict[tuple[bytes, bytes], list[int]] = {}
    for j in np.flatnonzero(~tail).tolist():
        start, stop = columns.indptr[j], columns.indptr[j + 1]
        key = (columns.indices[start:stop].tobytes(), columns.data[start:stop].tobytes())
        groups.setdefault(key, []).append(j)
    members = list(groups.values())
    first = np.asarray([m[0] for m in members], dtype=np.int64)
    count = np.asarray([len(m) for m in members], dtype=np.float64)
    weight = np.asarray(columns[:, first].power(2).sum(axis=0)).ravel() * count
    chosen = np.argsort(-weight, kind="stable")[:HEAD_COLUMNS]
    in_head = np.zeros(z.shape[1], dtype=bool)
    for g in chosen.tolist():
        in_head[members[g]] = True
    head = np.asarray(
        (columns[:, first[chosen]] @ sp.diags(np.sqrt(count[chosen]))).toarray(), dtype=np.float64
    )
    mid = columns[:, np.flatnonzero(~tail & ~in_head)].tocsr()
    mid.sort_indices()
    mid_norm = np.sqrt(np.asarray(mid.power(2).sum(axis=1)).ravel())
    return _Split(head, mid, mid_norm, columns[:, np.flatnonzero(tail)].tocsr())


def _candidates(
    split: _Split, floor: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Pairs ``i < j`` whose upper bound reaches ``floor`` — every pair scoring ``floor`` or
    more is among them — with their tail part, in float64."""
    n = split.head.shape[0]
    dense = np.hstack([split.head, split.mid_norm[:, None]]).astype(np.float32)
    # float32 sums of k products of vectors of norm <= 1 are within k * 2^-24 of the real sum
    # (the rounding of the inputs adds two more); twice that is ample. The tail is float64.
    cutoff = floor - (dense.shape[1] + 4) * 2.0**-23
    found: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
    rows = max(1, BLOCK_CELLS // max(1, n))
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        # Only the columns from ``start`` on: the pairs below the diagonal are never computed.
        bound = dense[start:stop] @ dense[start:].T
        # Pairs sharing a tail feature: their whole bound, read at the tail product's non-zero
        # cells only (far fewer than the band's); then those cells are struck from the band,
        # whose other cells have a tail part of 0.
        tail = (split.tail[start:stop] @ split.tail[start:].T).tocsr()
        tail_i = np.repeat(np.arange(stop - start), np.diff(tail.indptr))
        tail_j = tail.indices.astype(np.int64)
        cells = bound.reshape(-1)  # a view: the product is C-contiguous
        flat = tail_i * bound.shape[1] + tail_j
        reached = (cells[flat] + tail.data >= cutoff) & (tail_j > tail_i)
        found.append((tail_i[reached] + start, tail_j[reached] + start, tail.data[reached]))
        cells[flat] = -np.inf
        passing = bound >= cutoff
        passing[:, : stop - start] &= np.triu(np.ones((stop - start, stop - start), bool), 1)
        i, j = np.nonzero(passing)
        found.append((i.astype(np.int64) + start, j.astype(np.int64) + start, np.zeros(len(i))))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    first, second, tails = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return first, second, tails


def _dot_rows(
    first: npt.NDArray[np.int64],
    second: npt.NDArray[np.int64],
    tails: npt.NDArray[np.float64],
    split: _Split,
) -> npt.NDArray[np.float64]:
    """z_i . z_j in float64 for the given pairs, a slice of pairs at a time."""
    scores = np.empty(len(first))
    step = 16_384
    for start in range(0, len(first), step):
        i, j = first[start : start + step], second[start : start + step]
        part = np.einsum("ij,ij->i", split.head[i], split.head[j])
        if split.mid.shape[1]:
            part += np.asarray(split.mid[i].multiply(split.mid[j]).sum(axis=1)).ravel()
        scores[start : start + step] = part + tails[start : start + step]
    return scores


def _whole_matrix_score(i: int, j: int, word_vectors: Any, char_vectors: Any) -> float:
    """The score at (i, j), i < j, as the whole-matrix product computes it: a row of the first
    matrix times the transposed second, the products summed in row i's order."""
    words = float((word_vectors[i] @ word_vectors[j].T.tocsr()).toarray()[0, 0])
    chars = float((char_vectors[i] @ char_vectors[j].T.tocsr()).toarray()[0, 0])
    return float(np.clip((np.float64(words) + np.float64(chars)) / 2.0, 0.0, 1.0))


def similar_pairs(
    texts: Sequence[str], min_similarity: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The pairs ``i < j`` of already-normalised, non-empty texts whose score, rounded to 4
    places, is at least ``min_similarity``, with those rounded scores: exactly the pairs and
    scores of ``text_similarity_matrix``, without its n x n numbers."""
    texts = _check_texts(texts)
    none = np.zeros(0, np.int64)
    if len(texts) < 2:
        return none, none, np.zeros(0)
    word_vectors, char_vectors = tfidf_vectors(texts)
    z = sp.hstack([word_vectors, char_vectors], format="csr") * np.sqrt(0.5)
    split = _split_features(z)
    # A score that rounds up to the threshold is at least min_similarity - 0.00005.
    floor = min_similarity - 1e-4
    first, second, tails = _candidates(split, floor)
    scores = _dot_rows(first, second, tails, split)
    keep = scores >= floor
    first, second, scores = first[keep], second[keep], np.clip(scores[keep], 0.0, 1.0)
    scaled = scores * 1e4
    near = np.abs(scaled - (np.floor(scaled) + 0.5)) < _NEAR_HALFWAY * 1e4
    for k in np.flatnonzero(near).tolist():
        scores[k] = _whole_matrix_score(int(first[k]), int(second[k]), word_vectors, char_vectors)
    # Away from half-way points, rint(s * 1e4) / 1e4 is the float nearest to the 4-place number,
    # which is what round(s, 4) returns; at them, round itself decides.
    rounded = np.rint(scores * 1e4) / 1e4
    rounded[near] = [round(float(v), 4) for v in scores[near]]
    passing = rounded >= min_similarity
    return first[passing], second[passing], rounded[passing]


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

    # Sorted by (-score, kind, a_id, b_id) with numpy: ids and kinds by their rank in string
    # order, so only the pairs returned become Python objects.
    kinds = sorted(by_kind)
    found: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    ids: list[str] = []
    for kind in kinds:
        members = by_kind[kind]
        first, second, scores = similar_pairs([text for _, text in members], min_similarity)
        offset = len(ids)
        ids.extend(item_id for item_id, _ in members)
        found.append((scores, first + offset, second + offset))
    if not found:
        return []
    scores, first, second = (np.concatenate(parts) for parts in zip(*found, strict=True))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    swap = rank[first] > rank[second]
    first, second = np.where(swap, second, first), np.where(swap, first, second)
    kind_of = np.repeat(np.arange(len(kinds)), [len(by_kind[k]) for k in kinds])
    order = np.lexsort((rank[second], rank[first], kind_of[first], -scores))
    names = np.asarray(ids, dtype=object)
    return list(
        map(
            DuplicatePair,
            names[first[order]].tolist(),
            names[second[order]].tolist(),
            np.asarray(kinds, dtype=object)[kind_of[first[order]]].tolist(),
            scores[order].tolist(),
        )
    )
