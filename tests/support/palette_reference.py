"""The palette check's pieces as they were before issue 21 made them fast — reference implementations for tests.

Each one is the previous code, kept verbatim where it mattered (np.unique over packed RGB, CIEDE2000 of every
distinct colour to every reference, the (N, k, 3) k-means distances, np.unique for the segmentation's two most
common colours, per-region boolean gathers), so a test can run the check both ways and demand identical reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from brandkit import segment
from brandkit.checks import palette as palette_module
from brandkit.checks import palette_rules
from brandkit.color import character, ciede2000, srgb_to_lab
from brandkit.color.stats import DistinctColors, RegionStats

FloatArray = npt.NDArray[np.float64]


class ReferenceDistinctColors(DistinctColors):
    """Distinct colours from ``np.unique``; exact ΔE00 of each against every reference."""

    def __init__(
        self,
        pixels: npt.NDArray[np.uint8],
        ref_lab: FloatArray,
        cells: Any = None,
        gamut: Any = None,
        split: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        self._split_mask = split
        flat = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1, 3)
        packed = (
            flat[:, 0].astype(np.uint32) | (flat[:, 1].astype(np.uint32) << 8) | (flat[:, 2].astype(np.uint32) << 16)
        )
        uniq, inverse = np.unique(packed, return_inverse=True)
        self.inverse = inverse.reshape(-1)
        self._uniq = uniq.astype(np.uint32)  # the ``packed`` view of the same colours
        self.rgb = np.stack([uniq & 0xFF, (uniq >> 8) & 0xFF, (uniq >> 16) & 0xFF], axis=1).astype(np.uint8)
        self._neutral = None
        self.lab = srgb_to_lab(self.rgb)
        d = ciede2000(self.lab[:, None, :], ref_lab[None, :, :])
        self.nearest = d.argmin(axis=1)
        self.min_de = d[np.arange(d.shape[0]), self.nearest]
        self.n_refs = int(ref_lab.shape[0])
        self._order: npt.NDArray[np.intp] | None = None

    def counts(self, mask: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
        """The previous counts: a bincount of the inverse."""
        idx = self.inverse if mask is None else self.inverse[mask.reshape(-1)]
        return np.bincount(idx, minlength=len(self)).astype(np.int64)

    def split_counts(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The previous region counts: a bincount of the inverse under the mask and under its complement."""
        assert self._split_mask is not None
        return self.counts(self._split_mask), self.counts(~self._split_mask)

    def stats(
        self, counts: npt.NDArray[np.int64], tolerance: float, off_delta_e: float, neutral_chroma: float
    ) -> RegionStats:
        """The previous statistics: p95 from a stable sort of every distinct colour's ΔE."""
        total = int(counts.sum())
        if total == 0:
            return RegionStats(0, 0.0, 0.0, 0.0, 0.0, np.zeros(self.n_refs), 0.0)
        w = counts.astype(np.float64)
        within = self.min_de <= tolerance
        per_ref = np.bincount(self.nearest[within], weights=w[within], minlength=self.n_refs) / total
        if self._order is None:
            self._order = np.argsort(self.min_de, kind="stable")
        order = self._order
        cum = np.cumsum(w[order])
        p95 = float(self.min_de[order][int(np.searchsorted(cum, 0.95 * total, side="left"))])
        return RegionStats(
            n_pixels=total,
            within_share=float(w[within].sum() / total),
            off_share=float(w[self.min_de > off_delta_e].sum() / total),
            mean_delta_e=float((w * self.min_de).sum() / total),
            p95_delta_e=p95,
            within_shares=per_ref,
            neutral_share=float(w[self.chroma <= neutral_chroma].sum() / total),
        )


def plain_lloyd(
    lab: np.ndarray, weights: np.ndarray, centres: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """The textbook weighted Lloyd loop on (N, 3) colours (the previous implementation's): every distance, every
    iteration; stops when the labels no longer change."""
    labels = np.zeros(lab.shape[0], dtype=np.intp)
    for it in range(iterations):
        new_labels = ((lab[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        counts = np.bincount(new_labels, weights=weights, minlength=centres.shape[0])
        sums = np.stack(
            [np.bincount(new_labels, weights=weights * lab[:, c], minlength=centres.shape[0]) for c in range(3)], 1
        )
        keep = counts > 0
        new_centres = centres.copy()
        new_centres[keep] = sums[keep] / counts[keep, None]
        converged = it > 0 and bool(np.array_equal(new_labels, labels))
        labels, centres = new_labels, new_centres
        if converged:
            break
    return labels, centres


def reference_dominant_colors(pixels: npt.NDArray[np.uint8], k: int = 8, merge_distance: float = 8.0) -> list[Any]:
    """The previous k-means: (N, k, 3) squared distances summed over the last axis, argmin."""
    sample = character._downsample(np.ascontiguousarray(pixels, dtype=np.uint8), character.MAX_CLUSTER_PIXELS)
    if sample.shape[0] == 0:
        return []
    packed = (
        sample[:, 0].astype(np.uint32) | (sample[:, 1].astype(np.uint32) << 8) | (sample[:, 2].astype(np.uint32) << 16)
    )
    uniq, counts = np.unique(packed, return_counts=True)
    rgb = np.stack([uniq & 0xFF, (uniq >> 8) & 0xFF, (uniq >> 16) & 0xFF], axis=1).astype(np.uint8)
    lab = srgb_to_lab(rgb)
    weights = counts.astype(np.float64)
    k = max(1, min(k, lab.shape[0]))
    rng = np.random.default_rng(character._SEED)
    centres = np.empty((k, 3))
    centres[0] = lab[int(np.argmax(weights))]
    d2 = ((lab - centres[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        p = weights * d2
        total = float(p.sum())
        if total <= 0.0:
            centres = centres[:j]
            break
        centres[j] = lab[int(rng.choice(lab.shape[0], p=p / total))]
        d2 = np.minimum(d2, ((lab - centres[j]) ** 2).sum(axis=1))
    labels, centres = plain_lloyd(lab, weights, centres, character._ITERATIONS)
    centres, mass = character._merge_close(
        centres, np.bincount(labels, weights=weights, minlength=centres.shape[0]).astype(np.float64), merge_distance
    )
    total = float(weights.sum())
    out = []
    for j in np.argsort(-mass, kind="stable"):
        if mass[j] <= 0:
            continue
        c = centres[j]
        out.append(
            character.Cluster(
                lab=(float(c[0]), float(c[1]), float(c[2])), rgb=character._lab_to_rgb(c), share=float(mass[j] / total)
            )
        )
    return out


def reference_cct(pixels: npt.NDArray[np.uint8]) -> float | None:
    """The previous colour temperature: the sRGB transfer function evaluated on every sampled channel value."""
    flat = character._downsample(np.ascontiguousarray(pixels, dtype=np.uint8), 4 * character.MAX_CLUSTER_PIXELS)
    flat = flat.astype(np.float64)
    if flat.shape[0] == 0:
        return None
    v = flat / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    luminance = lin @ character._RGB_TO_XYZ[1]
    keep = (flat.max(axis=1) < 250) & (luminance >= 0.01)
    if not bool(keep.any()):
        return None
    xyz = character._RGB_TO_XYZ @ lin[keep].mean(axis=0)
    s = float(xyz.sum())
    if s <= 0:
        return None
    x, y = xyz[0] / s, xyz[1] / s
    n = (x - 0.3320) / (0.1858 - y)
    return float(min(25000.0, max(1000.0, 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33)))


def reference_top_two_share(blocks: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """The previous two-most-common-colours share: np.unique with counts, then a lexsort rank."""
    gh, gw, n, _ = blocks.shape
    q = (blocks >> 4).astype(np.int64)
    codes = (q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]
    keys = np.arange(gh * gw, dtype=np.int64)[:, None] * 4096 + codes.reshape(gh * gw, n)
    uniq, counts = np.unique(keys, return_counts=True)
    block = uniq // 4096
    order = np.lexsort((-counts, block))
    block, counts = block[order], counts[order]
    first = np.ones(block.size, dtype=bool)
    first[1:] = block[1:] != block[:-1]
    rank = np.arange(block.size) - np.maximum.accumulate(np.where(first, np.arange(block.size), 0))
    top = np.bincount(block[rank < 2], weights=counts[rank < 2], minlength=gh * gw)
    share: npt.NDArray[np.float64] = (top / n).reshape(gh, gw)
    return share


def reference_blocks(rgb: npt.NDArray[np.uint8], block: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int16]]:
    """The previous per-block flatness (``ndarray.all`` over the channels, ``mean`` over the pixels)."""
    h, w = rgb.shape[:2]
    gh, gw = -(-h // block), -(-w // block)
    pad = np.pad(rgb, ((0, gh * block - h), (0, gw * block - w), (0, 0)), mode="edge")
    blocks = pad.reshape(gh, block, gw, block, 3).transpose(0, 2, 1, 3, 4).reshape(gh, gw, block * block, 3)
    med = np.median(blocks, axis=2, keepdims=True)
    near = (np.abs(blocks.astype(np.int16) - med.astype(np.int16)) <= segment.FLAT_RADIUS).all(axis=3)
    flat: npt.NDArray[np.bool_] = near.mean(axis=2) >= segment.FLAT_SHARE
    return flat | (reference_top_two_share(blocks) >= segment.TWO_COLOR_SHARE), med[:, :, 0, :].astype(np.int16)


def _reference_split(
    codes: npt.NDArray[np.uint8], image: npt.NDArray[np.bool_] | None, photo: npt.NDArray[np.bool_]
) -> palette_rules.RegionCounts:
    mask = np.ones(codes.shape, dtype=bool) if image is None else image
    return palette_rules.RegionCounts.of(codes, {"image": mask, "brand_zones": mask & ~photo, "photo": photo})


def reference_code_counts(
    matcher: Any,
    rgb: npt.NDArray[np.uint8],
    opaque: npt.NDArray[np.bool_] | None,
    photo: npt.NDArray[np.bool_],
    tolerance: float,
    distinct: Any,
    image_counts: Any,
    zone_counts: Any,
) -> tuple[palette_rules.RegionCounts, npt.NDArray[np.int64], Any]:
    """The previous region counts: one gather per pixel (the matcher's ``match``), codes counted under masks."""
    match = matcher.match(rgb, tolerance)
    counts = palette_rules.RegionCounts.split(match.codes, opaque, photo)
    return counts, match.forbidden_counts(opaque), lambda: match.codes


def use_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the palette check run on the reference pieces (undone by ``monkeypatch`` at the end of the test)."""
    monkeypatch.setattr(palette_module, "DistinctColors", ReferenceDistinctColors)
    monkeypatch.setattr(palette_module, "code_counts", reference_code_counts)
    # the photo rule is judged from the photo's colour histogram (every pixel, binned) since 2026-12-05: the same
    # function on the reference's distinct colours and counts (tests/test_palette_photo_histogram.py compares it
    # with the strided-sample clustering it replaced)
    monkeypatch.setattr(palette_rules.RegionCounts, "split", staticmethod(_reference_split))
    monkeypatch.setattr(palette_rules, "dominant_colors", reference_dominant_colors)
    monkeypatch.setattr(segment, "_blocks", reference_blocks)
    monkeypatch.setattr(segment, "_as_rectangles", reference_as_rectangles)


def reference_as_rectangles(
    grid: npt.NDArray[np.bool_], background: npt.NDArray[np.bool_], min_cells: int
) -> npt.NDArray[np.bool_]:
    """The previous rectangle growth (``mean() < 0.5`` of each next row / column of blocks)."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(grid.astype(np.uint8), connectivity=8)
    gh, gw = grid.shape
    out = np.zeros_like(grid)
    for i in range(1, n):
        x0, y0, w, h = (int(v) for v in stats[i, :4])
        x1, y1 = x0 + w, y0 + h
        grown = True
        while grown:
            grown = False
            if x0 > 0 and background[y0:y1, x0 - 1].mean() < 0.5:
                x0, grown = x0 - 1, True
            if x1 < gw and background[y0:y1, x1].mean() < 0.5:
                x1, grown = x1 + 1, True
            if y0 > 0 and background[y0 - 1, x0:x1].mean() < 0.5:
                y0, grown = y0 - 1, True
            if y1 < gh and background[y1, x0:x1].mean() < 0.5:
                y1, grown = y1 + 1, True
        if (x1 - x0) * (y1 - y0) >= min_cells:
            out[y0:y1, x0:x1] = True
    return out
