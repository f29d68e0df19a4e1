"""Issue 21, third pass: the k-means of the photo rule measures few distances and gives the same clusters.

:func:`brandkit.color.kmeans.lloyd` keeps, per colour, a bound on how much nearer its centre is than any other and
measures only the colours whose bound no longer guarantees their label. Its labels and centres must be the plain
algorithm's (every distance, every iteration) bit for bit — on photographs, on few-colour data where centres tie
or coincide, with one centre, and for k above the number of colours — and it must actually skip most distances.
"""

from __future__ import annotations

import numpy as np
import pytest

from brandkit.color import kmeans, srgb_to_lab
from brandkit.color.character import _ITERATIONS, _SEED, dominant_colors
from tests.support.palette_reference import plain_lloyd as _plain_lloyd
from tests.support.palette_reference import reference_dominant_colors
from tests.test_palette_exact_speed import _photo


def _channels(lab: np.ndarray) -> kmeans.Channels:
    return (np.ascontiguousarray(lab[:, 0]), np.ascontiguousarray(lab[:, 1]), np.ascontiguousarray(lab[:, 2]))


def _colours() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(99)
    out = []
    photo = np.asarray(_photo("coffee", (200, 150))).reshape(-1, 3)
    uniq, counts = np.unique(photo, axis=0, return_counts=True)
    out.append((srgb_to_lab(uniq), counts.astype(np.float64)))
    for n_colors in (2, 5, 40):  # few colours, many duplicates: ties between centres are likely
        base = rng.integers(0, 256, (n_colors, 3), dtype=np.uint8)
        px = np.clip(base[rng.integers(0, n_colors, 3000)].astype(int) + rng.integers(-2, 3, (3000, 3)), 0, 255)
        uniq, counts = np.unique(px.astype(np.uint8), axis=0, return_counts=True)
        out.append((srgb_to_lab(uniq), counts.astype(np.float64)))
    grid = np.stack(np.meshgrid([0.0, 10.0], [0.0, 10.0], [0.0], indexing="ij"), -1).reshape(-1, 3)
    out.append((grid, np.ones(4)))  # a square: every colour equidistant from centres placed symmetrically
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 8, 12])
def test_bounded_lloyd_gives_the_plain_labels_and_centres(k: int) -> None:
    cases = _colours()
    cases += [(lab, weights * 0.37) for lab, weights in cases[:2]]  # not pixel counts: every weight summed again
    for lab, weights in cases:
        kk = max(1, min(k, lab.shape[0]))
        seeds = kmeans.seed_centres(_channels(lab), weights, kk, np.random.default_rng(_SEED))
        labels, centres = kmeans.lloyd(_channels(lab), weights, seeds, _ITERATIONS)
        want_labels, want_centres = _plain_lloyd(lab, weights, seeds, _ITERATIONS)
        assert np.array_equal(labels, want_labels)
        assert np.array_equal(centres, want_centres)  # bit for bit
    square = _colours()[-1][0]
    tie = np.array([[5.0, 0.0, 0.0], [5.0, 10.0, 0.0]])  # each colour exactly as far from both: the first wins
    labels, _ = kmeans.lloyd(_channels(square), np.ones(4), tie, 1)
    assert np.array_equal(labels, _plain_lloyd(square, np.ones(4), tie, 1)[0])


def test_seeding_matches_the_row_formulation() -> None:
    lab, weights = _colours()[0]
    rng = np.random.default_rng(_SEED)
    centres = [lab[int(np.argmax(weights))]]
    d2 = ((lab - centres[0]) ** 2).sum(axis=1)
    for _ in range(7):
        p = weights * d2
        centres.append(lab[int(rng.choice(lab.shape[0], p=p / float(p.sum())))])
        d2 = np.minimum(d2, ((lab - centres[-1]) ** 2).sum(axis=1))
    got = kmeans.seed_centres(_channels(lab), weights, 8, np.random.default_rng(_SEED))
    assert np.array_equal(got, np.asarray(centres))
    one = np.zeros((3, 3))
    assert kmeans.seed_centres(_channels(one), np.ones(3), 4, np.random.default_rng(_SEED)).shape == (1, 3)


def test_most_distances_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    lab, weights = _colours()[0]
    measured: list[int] = []
    nearest = kmeans._nearest

    def counting(channels: kmeans.Channels, centres: np.ndarray) -> tuple:
        measured.append(channels[0].shape[0])
        return nearest(channels, centres)

    monkeypatch.setattr(kmeans, "_nearest", counting)
    seeds = kmeans.seed_centres(_channels(lab), weights, 8, np.random.default_rng(_SEED))
    kmeans.lloyd(_channels(lab), weights, seeds, _ITERATIONS)
    assert len(measured) >= 5  # it iterated
    assert sum(measured) < 0.5 * len(measured) * lab.shape[0]  # the plain loop measures every colour each time


@pytest.mark.parametrize("k", [2, 6, 10])
def test_dominant_colours_match_the_previous_kmeans_on_varied_data(k: int) -> None:
    rng = np.random.default_rng(k)
    cases = [
        np.asarray(_photo("chelsea", (500, 420))).reshape(-1, 3),  # strided down to the clustering sample
        rng.integers(0, 256, (5000, 3), dtype=np.uint8),
        np.repeat(rng.integers(0, 256, (3, 3), dtype=np.uint8), 50, axis=0),  # fewer colours than k
    ]
    for pixels in cases:
        fast = dominant_colors(pixels, k)
        old = reference_dominant_colors(pixels, k)
        assert fast
        assert [(c.lab, c.rgb, c.share) for c in fast] == [(c.lab, c.rgb, c.share) for c in old]


def test_one_centre_at_a_time_and_the_matrix_agree() -> None:
    rng = np.random.default_rng(8)
    lab = np.round(rng.random((3000, 3)) * 20)  # integer colours: many exact ties between centres
    centres = np.round(rng.random((6, 3)) * 20)
    centres[4] = centres[1]  # two equal centres: the first must win
    labels, gap = kmeans._nearest(_channels(lab), centres)  # above the few-colour size: one centre at a time
    few_labels, few_gap = kmeans._nearest_few(_channels(lab), centres)
    assert lab.shape[0] > kmeans._FEW
    assert np.array_equal(labels, few_labels)
    assert np.array_equal(gap, few_gap)
    assert np.array_equal(labels, kmeans.squared_distances(_channels(lab), centres).argmin(axis=0))
    assert not np.any(labels == 4)
