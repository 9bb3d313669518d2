"""Near-duplicate detection: the same thing under two teams' names is found, different
things are not, and the output is stable and well-formed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analytics.similarity import DuplicatePair, near_duplicate_pairs, normalise_text

FEATURES = [
    "Slack integration",
    "Integration with Slack",
    "Custom report builder",
    "Scheduled email reports",
    "Real-time dashboards",
    "Onboarding checklist",
    "Single sign-on",
    "Export to CSV",
    "Anomaly alerts",
]


def score(a: str, b: str, kind: str = "FEATURE") -> float:
    pairs = near_duplicate_pairs([("a", kind, a), ("b", kind, b)], min_similarity=0.0)
    assert len(pairs) == 1
    return pairs[0].similarity


def test_the_same_feature_under_two_names_scores_high() -> None:
    assert score("Slack integration", "Integration with Slack") >= 0.6
    assert score("Export to CSV", "CSV export") >= 0.6
    assert score("Onboarding checklist", "Guided onboarding checklist") >= 0.6
    assert score("Custom report builder", "Report builder") >= 0.6


def test_different_features_score_low() -> None:
    assert score("Slack integration", "Custom report builder") <= 0.2
    assert score("Single sign-on", "Anomaly alerts") <= 0.2


def test_case_and_punctuation_do_not_matter() -> None:
    assert score("Real-Time Dashboard!", "real time dashboard") == 1.0
    assert (
        normalise_text("  Real-time, self_serve   DASHBOARDS ") == "real time self serve dashboards"
    )


def test_finds_the_duplicate_among_a_realistic_list() -> None:
    items = [(f"feature-{i}", "FEATURE", text) for i, text in enumerate(FEATURES)]
    pairs = near_duplicate_pairs(items)
    assert [(p.a_id, p.b_id) for p in pairs] == [("feature-0", "feature-1")]
    assert pairs[0].kind == "FEATURE"


def test_only_items_of_the_same_kind_are_compared() -> None:
    items = [
        ("p1", "PAIN", "Slow dashboard loading"),
        ("f1", "FEATURE", "Slow dashboard loading"),
        ("g1", "GOAL", "Trust the numbers"),
        ("g2", "GOAL", "Trust in the numbers"),
    ]
    pairs = near_duplicate_pairs(items)
    assert [(p.a_id, p.b_id, p.kind) for p in pairs] == [("g1", "g2", "GOAL")]


def test_fewer_than_two_items_or_empty_texts_give_no_pairs() -> None:
    assert near_duplicate_pairs([]) == []
    assert near_duplicate_pairs([("a", "PAIN", "Slow dashboard")]) == []
    blank = [("a", "PAIN", ""), ("b", "PAIN", "   "), ("c", "PAIN", "?!"), ("d", "PAIN", "Slow")]
    assert near_duplicate_pairs(blank, min_similarity=0.0) == []


def test_texts_of_stop_words_only_are_still_compared() -> None:
    assert score("The", "the") == 1.0
    assert score("The", "Slack integration") == 0.0


def test_pairs_are_ordered_rounded_and_sorted() -> None:
    items = [
        ("z", "CLAIM", "Real-time insight for every team"),
        ("m", "CLAIM", "Real-time insights for all teams"),
        ("a", "CLAIM", "Insights for every team in real time"),
        ("k", "CLAIM", "Numbers you can trust"),
    ]
    pairs = near_duplicate_pairs(items, min_similarity=0.0)
    assert len(pairs) == 6
    assert all(p.a_id < p.b_id for p in pairs)
    assert all(p.similarity == round(p.similarity, 4) for p in pairs)
    assert all(0.0 <= p.similarity <= 1.0 for p in pairs)
    scores = [p.similarity for p in pairs]
    assert scores == sorted(scores, reverse=True)
    # Reversing the input changes nothing.
    assert near_duplicate_pairs(items[::-1], min_similarity=0.0) == pairs


def test_threshold_filters_pairs() -> None:
    items = [(f"feature-{i}", "FEATURE", text) for i, text in enumerate(FEATURES)]
    everything = near_duplicate_pairs(items, min_similarity=0.0)
    assert len(everything) == len(FEATURES) * (len(FEATURES) - 1) // 2
    assert near_duplicate_pairs(items, min_similarity=1.0) == []
    middle = near_duplicate_pairs(items, min_similarity=0.3)
    assert middle == [p for p in everything if p.similarity >= 0.3]


def test_identical_texts_score_one() -> None:
    pairs = near_duplicate_pairs(
        [
            ("b", "PAIN", "Numbers do not match the CRM"),
            ("a", "PAIN", "numbers do not match the crm"),
        ]
    )
    assert pairs == [DuplicatePair(a_id="a", b_id="b", kind="PAIN", similarity=1.0)]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        near_duplicate_pairs([("a", "PAIN", "x"), ("a", "GOAL", "y")])
    with pytest.raises(ValueError):
        near_duplicate_pairs([], min_similarity=1.5)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["GOAL", "PAIN"]), st.text(max_size=40)), max_size=12))
def test_any_texts_give_well_formed_pairs(entries: list[tuple[str, str]]) -> None:
    items = [(f"id-{i:02d}", kind, text) for i, (kind, text) in enumerate(entries)]
    kinds = {item_id: kind for item_id, kind, _ in items}
    pairs = near_duplicate_pairs(items, min_similarity=0.0)
    for p in pairs:
        assert p.a_id < p.b_id
        assert kinds[p.a_id] == kinds[p.b_id] == p.kind
        assert 0.0 <= p.similarity <= 1.0
    assert len({(p.a_id, p.b_id) for p in pairs}) == len(pairs)


# The whole-matrix computation is the definition of the score; near_duplicate_pairs must give
# exactly its pairs and scores without computing it. Texts drawn from a handful of words make
# nearly every pair share words and n-grams (the hard case for the bounds, and the source of
# ties); texts drawn from many words make most pairs share little.
NARROW = ["slack", "report", "reports", "export", "csv", "alert", "dashboard", "real", "time"]
WIDE = [*NARROW, *(f"{a}{b}" for a in ("ka", "lo", "mi", "zu") for b in ("ne", "ru", "sa", "ti"))]


def _texts(words: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(
        st.lists(st.sampled_from(words), min_size=1, max_size=7).map(" ".join),
        min_size=0,
        max_size=16,
    )


def whole_matrix_pairs(names: list[str], threshold: float) -> list[DuplicatePair]:
    from analytics import similarity

    texts = [normalise_text(name) for name in names]
    whole = similarity.text_similarity_matrix(texts) if texts else None
    return sorted(
        (
            DuplicatePair(f"feat-{i:02d}", f"feat-{j:02d}", "FEATURE", s)
            for i in range(len(names))
            for j in range(i + 1, len(names))
            if whole is not None and (s := round(float(whole[i, j]), 4)) >= threshold
        ),
        key=lambda p: (-p.similarity, p.kind, p.a_id, p.b_id),
    )


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(_texts(NARROW), _texts(WIDE), _texts([*FEATURES, "Slack alerts", "CSV export"])),
    st.sampled_from([0.0, 0.3, 0.4, 0.5, 0.6, 1.0]),
    st.integers(min_value=0, max_value=12),
    st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    st.integers(min_value=1, max_value=60),
    st.data(),
)
def test_the_pairs_and_scores_are_exactly_those_of_the_whole_matrix(
    names: list[str],
    threshold: float,
    head_columns: int,
    tail_work: float,
    band_cells: int,
    data: st.DataObject,
) -> None:
    """However the features are split between the dense head, the bounded middle and the exact
    tail, and however narrow the bands, the pairs found and their scores are the whole matrix's
    — also at a threshold equal to a score found (ties) or a hair either side of it."""
    from analytics import similarity

    everything = whole_matrix_pairs(names, 0.0)
    if everything and data.draw(st.booleans(), label="threshold at a score"):
        tie = data.draw(st.sampled_from([p.similarity for p in everything]), label="score")
        threshold = min(1.0, max(0.0, tie + data.draw(st.sampled_from([-1e-4, 0.0, 1e-4]))))
    usual = similarity.HEAD_COLUMNS, similarity.TAIL_WORK, similarity.BLOCK_CELLS
    similarity.HEAD_COLUMNS, similarity.TAIL_WORK, similarity.BLOCK_CELLS = (
        head_columns,
        tail_work,
        band_cells,
    )
    try:
        found = near_duplicate_pairs(
            [(f"feat-{i:02d}", "FEATURE", name) for i, name in enumerate(names)],
            min_similarity=threshold,
        )
    finally:
        similarity.HEAD_COLUMNS, similarity.TAIL_WORK, similarity.BLOCK_CELLS = usual
    assert found == [p for p in everything if p.similarity >= threshold]
    assert found == whole_matrix_pairs(names, threshold)


@settings(max_examples=40, deadline=None)
@given(st.one_of(_texts(NARROW), _texts(WIDE)), st.sampled_from([0.0, 0.4]))
def test_a_score_near_a_rounding_half_way_point_is_the_whole_matrix_number(
    names: list[str], threshold: float
) -> None:
    """Scores within a hair of a half-way point between 4-place numbers are computed again the
    whole-matrix way: sending every score that way gives the same answer."""
    from analytics import similarity

    usual = similarity._NEAR_HALFWAY
    similarity._NEAR_HALFWAY = 1.0
    try:
        found = near_duplicate_pairs(
            [(f"feat-{i:02d}", "FEATURE", name) for i, name in enumerate(names)],
            min_similarity=threshold,
        )
    finally:
        similarity._NEAR_HALFWAY = usual
    assert found == whole_matrix_pairs(names, threshold)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.lists(st.sampled_from([*WIDE, "the", "with", "a"]), min_size=1, max_size=8).map(
                " ".join
            ),
            st.text(max_size=30),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_tfidf_vectors_are_the_vectorisers_own_bit_for_bit(raw: list[str]) -> None:
    """The faster counting gives TfidfVectorizer's matrices exactly: the same numbers, and each
    row's entries in the same order (the order its norm and dot products are summed in)."""
    import numpy as np

    from analytics import similarity

    texts = [t for t in map(normalise_text, raw) if t]
    assume(texts)
    reference = [v.fit_transform(texts).tocsr() for v in similarity._vectorisers()]
    for expected, got in zip(reference, similarity.tfidf_vectors(texts), strict=True):
        assert got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert got.data.tobytes() == expected.data.tobytes()
        # scipy trusts this flag (products of CSR matrices skip sorting when it is set).
        assert got.has_sorted_indices == expected.has_sorted_indices
