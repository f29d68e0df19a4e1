"""Weighted k-means in CIELAB for :func:`brandkit.color.character.dominant_colors`: exact, and cheap.

A foundation module (plain arrays). The colours are held per channel (three contiguous (N,) arrays); a
squared distance is always summed as ``(ΔL² + Δa²) + Δb²`` — what ``((lab - centre) ** 2).sum(-1)`` gives bit for
bit — and the nearest centre is the first of the smallest, like ``argmin``.

* :func:`seed_centres` – k-means++ from a fixed generator, the same draws as the (N, 3) formulation;
* :func:`lloyd` – Lloyd iterations that give the labels and centres of the plain algorithm (every colour's
  distance to every centre each iteration) while computing only a few: each colour keeps an upper bound on the
  distance to its centre and a lower bound on the distance to every other centre (Hamerly, 2010); when the
  centres move by ``s_j`` the bounds move by at most that (the triangle inequality), and a colour whose upper
  bound stays below its lower bound by more than :data:`MARGIN` cannot change centre — its label is kept
  without a distance evaluated. Only the others are measured again, exactly. The margin (10⁻⁶ ΔE76) is 10⁸
  times the rounding of any distance here, so a kept label is the one the full computation would find.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["MARGIN", "lloyd", "seed_centres", "squared_distances"]

FloatArray = npt.NDArray[np.float64]
Channels = tuple[FloatArray, FloatArray, FloatArray]

#: up to this many colours, :func:`_nearest` measures them as one (centres × colours) matrix
_FEW = 2048
#: how much nearer its centre a colour must be (upper bound vs lower bound, ΔE76) for its label to be kept unmeasured
MARGIN = 1e-6


def squared_distances(channels: Channels, centres: FloatArray) -> FloatArray:
    """(k, N) squared ΔE76 of every colour to every centre, summed ``(ΔL² + Δa²) + Δb²`` (contiguous rows)."""
    d = channels[0][None, :] - centres[:, 0:1]
    np.multiply(d, d, out=d)
    t = channels[1][None, :] - centres[:, 1:2]
    np.multiply(t, t, out=t)
    np.add(d, t, out=d)
    np.subtract(channels[2][None, :], centres[:, 2:3], out=t)
    np.multiply(t, t, out=t)
    np.add(d, t, out=d)
    return d


def _to_centre(channels: Channels, centre: FloatArray) -> FloatArray:
    """(N,) squared ΔE76 of every colour to one centre (the same sum as :func:`squared_distances`)."""
    d: FloatArray = channels[0] - centre[0]
    np.multiply(d, d, out=d)
    t = channels[1] - centre[1]
    np.multiply(t, t, out=t)
    np.add(d, t, out=d)
    np.subtract(channels[2], centre[2], out=t)
    np.multiply(t, t, out=t)
    np.add(d, t, out=d)
    return d


def seed_centres(channels: Channels, weights: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    """k-means++ seeding: the heaviest colour first, then each next centre drawn with probability ∝ weight ×
    squared distance to the nearest centre so far (fewer than ``k`` when every colour is already a centre)."""
    centres = np.empty((k, 3))
    first = int(np.argmax(weights))
    centres[0] = [channels[0][first], channels[1][first], channels[2][first]]
    d2 = _to_centre(channels, centres[0])
    n = weights.shape[0]
    for j in range(1, k):
        p = weights * d2
        total = float(p.sum())
        if total <= 0.0:
            return centres[:j]
        i = int(rng.choice(n, p=p / total))
        centres[j] = [channels[0][i], channels[1][i], channels[2][i]]
        np.minimum(d2, _to_centre(channels, centres[j]), out=d2)
    return centres


def lloyd(
    channels: Channels, weights: FloatArray, centres: FloatArray, iterations: int
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Weighted Lloyd iterations from ``centres``: each colour to its nearest centre, each centre to the weighted
    mean of its colours (a centre left without colours stays), stopping after ``iterations`` or once the labels
    no longer change. Returns ``(labels, centres)`` — the plain algorithm's, bit for bit (see module docstring)."""
    k = centres.shape[0]
    weighted = [weights * channels[c] for c in range(3)]
    # pixel counts as weights: every partial sum of a centre's weight is an integer (exact in float64 below 2⁵³),
    # so the weight can follow the colours that move instead of being summed again — the same value
    whole = bool(np.all(weights == np.floor(weights))) and float(np.abs(weights).sum()) < 2.0**53
    labels = np.zeros(weights.shape[0], dtype=np.intp)
    gap = np.zeros(0)
    shift = np.zeros(k)
    counts: FloatArray = np.zeros(k)
    for it in range(iterations):
        if it == 0:
            labels, gap = _nearest(channels, centres)
            counts = np.bincount(labels, weights=weights, minlength=k).astype(np.float64)
        else:
            moved, before = _reassign(channels, centres, shift, labels, gap)
            if moved.size == 0:  # the same labels: the plain algorithm recomputes the same centres, and stops
                break
            if whole:
                counts -= np.bincount(before, weights=weights[moved], minlength=k)
                counts += np.bincount(labels[moved], weights=weights[moved], minlength=k)
            else:
                counts = np.bincount(labels, weights=weights, minlength=k).astype(np.float64)
        sums = np.stack([np.bincount(labels, weights=weighted[c], minlength=k) for c in range(3)], 1)
        keep = counts > 0
        new_centres = centres.copy()
        new_centres[keep] = sums[keep] / counts[keep, None]
        shift = np.sqrt(((new_centres - centres) ** 2).sum(axis=1))
        centres = new_centres
    return labels, centres


def _nearest(channels: Channels, centres: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Each colour's first nearest centre (what ``argmin`` over :func:`squared_distances` gives), and how much
    nearer it is than the second nearest (ΔE76: the bound :func:`_reassign` keeps — infinite with one centre).

    One centre at a time (its row of squared distances summed like :func:`squared_distances`, then a running
    minimum: a later centre takes a colour only when strictly nearer, so ties go to the first, like ``argmin``)."""
    k, m = centres.shape[0], channels[0].shape[0]
    if m <= _FEW:
        return _nearest_few(channels, centres)
    labels = np.zeros(m, dtype=np.intp)
    best = _to_centre(channels, centres[0])
    second = np.full(m, np.inf)
    nearer = np.empty(m, dtype=bool)
    for j in range(1, k):
        row = _to_centre(channels, centres[j])
        np.less(row, best, out=nearer)
        np.putmask(labels, nearer, j)
        np.minimum(second, row, out=second)
        np.copyto(second, best, where=nearer)  # the previous nearest becomes the second
        np.minimum(best, row, out=best)
    gap = np.sqrt(second)
    gap -= np.sqrt(best)
    return labels, gap


def _nearest_few(channels: Channels, centres: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """:func:`_nearest` for a few colours: the (k, m) matrix at once (fewer, larger NumPy calls; the same sums, the
    same first nearest — ``argmin`` — and the same second nearest)."""
    d = squared_distances(channels, centres)
    labels: npt.NDArray[np.intp] = d.argmin(axis=0)
    if d.shape[0] == 1:
        return labels, np.full(d.shape[1], np.inf)
    cols = np.arange(d.shape[1])
    best = d[labels, cols]
    d[labels, cols] = np.inf
    gap = np.sqrt(d.min(axis=0))
    gap -= np.sqrt(best)
    return labels, gap


def _reassign(
    channels: Channels, centres: FloatArray, shift: FloatArray, labels: npt.NDArray[np.intp], gap: FloatArray
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Narrow every colour's ``gap`` (lower bound on the distance to the other centres minus upper bound on the
    distance to its own) by how far the centres moved — its own centre's ``shift`` plus the largest of the others'
    — measure the colours whose gap no longer exceeds :data:`MARGIN`, update ``labels`` and ``gap`` in place;
    returns the colours whose label changed and their previous labels."""
    k = centres.shape[0]
    none = np.zeros(0, dtype=np.intp)
    if k == 1:
        return none, none
    order = np.argsort(-shift, kind="stable")
    others = np.full(k, shift[order[0]])
    others[order[0]] = shift[order[1]]
    gap -= (shift + others)[labels]
    unsure = np.flatnonzero(gap <= MARGIN)
    if unsure.size == 0:
        return none, none
    sub: Channels = (channels[0][unsure], channels[1][unsure], channels[2][unsure])
    new, new_gap = _nearest(sub, centres)
    previous = labels[unsure]
    differs = new != previous
    labels[unsure] = new
    gap[unsure] = new_gap
    return unsure[differs], previous[differs]
