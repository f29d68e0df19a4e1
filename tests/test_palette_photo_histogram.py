"""Issue 21: the palette check's photo rule judged from the photo's colour histogram (every pixel, binned) instead of
a strided sample of 20,000 pixels — ``dominant_colors_of`` and ``color_temperature_of`` on the distinct colours the
check has already counted.

k-means has no single right answer on a photograph (two strided samples of one photo already give different
clusters), so the histogram clusters are held to what matters: flat colours come out exactly, every pixel is
counted, and they describe real photographs as well as the sampled clusters they replace (the k-means objective
over every pixel). The colour temperature is the pixels' own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from brandkit.color import srgb_to_lab
from brandkit.color.character import (
    Cluster,
    color_temperature_of,
    correlated_color_temperature,
    dominant_colors,
    dominant_colors_of,
)

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = sorted({p.name: p for p in ROOT.glob("brand_specs/*/photos/*.jpg")}.values())


def _histogram(pixels: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The distinct colours of ``pixels`` ((N, 3)) and how many pixels have each."""
    colors, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    return colors.astype(np.uint8), counts.astype(np.int64)


def _objective(lab: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], clusters: list[Cluster]) -> float:
    """Mean squared ΔE76 of every pixel to its nearest cluster centre (what k-means minimises)."""
    centres = np.asarray([c.lab for c in clusters])
    d2 = ((lab[:, None, :] - centres[None]) ** 2).sum(-1).min(axis=1)
    return float((d2 * weights).sum() / weights.sum())


def test_flat_colours_come_out_exactly_with_their_shares() -> None:
    colors = np.array([[224, 122, 46], [75, 46, 42], [243, 233, 220]], dtype=np.uint8)
    counts = np.array([500, 300, 200], dtype=np.int64)
    clusters = dominant_colors_of(colors, counts, k=8)
    assert [c.rgb for c in clusters] == [tuple(int(v) for v in rgb) for rgb in colors]
    assert [c.share for c in clusters] == [0.5, 0.3, 0.2]
    assert np.allclose([c.lab for c in clusters], srgb_to_lab(colors), atol=1e-9)


def test_every_pixel_counted_and_zero_counts_ignored() -> None:
    pixels = np.asarray(Image.open(PHOTOS[0]).convert("RGB").resize((256, 192)))
    colors, counts = _histogram(pixels)
    clusters = dominant_colors_of(colors, counts)
    assert sum(c.share for c in clusters) == pytest.approx(1.0, abs=1e-12)
    rng = np.random.default_rng(3)
    extra = rng.integers(0, 256, (500, 3), dtype=np.uint8)  # colours of another region: no pixel of the photo
    padded = dominant_colors_of(np.concatenate([colors, extra]), np.concatenate([counts, np.zeros(500, np.int64)]))
    assert padded == clusters
    assert dominant_colors_of(colors, np.zeros_like(counts)) == []
    with pytest.raises(ValueError, match="counts"):
        dominant_colors_of(colors, counts[:-1])


@pytest.mark.parametrize("k", [4, 8])
def test_histogram_clusters_describe_photographs_as_well_as_sampled_ones(k: int) -> None:
    ratios = []
    for path in PHOTOS:
        pixels = np.asarray(Image.open(path).convert("RGB").resize((512, 384))).reshape(-1, 3)
        colors, counts = _histogram(pixels)
        lab, weights = srgb_to_lab(colors), counts.astype(np.float64)
        ours = _objective(lab, weights, dominant_colors_of(colors, counts, k))
        # two strided samples of the same photo (what the check clustered before): k-means' own spread
        sampled = [_objective(lab, weights, dominant_colors(pixels[offset:], k)) for offset in (0, 1)]
        assert ours <= 1.3 * max(sampled), path.name
        ratios.append(ours / sampled[0])
    assert len(ratios) >= 6
    assert float(np.exp(np.mean(np.log(ratios)))) <= 1.1  # as good on the whole (geometric mean of the ratios)


def test_color_temperature_of_every_pixel() -> None:
    pixels = np.asarray(Image.open(PHOTOS[0]).convert("RGB").resize((300, 200))).reshape(-1, 3)  # < 80,000 pixels
    colors, counts = _histogram(pixels)
    want = correlated_color_temperature(pixels)  # not sampled at this size: every pixel
    assert want is not None
    assert color_temperature_of(colors, counts) == pytest.approx(want, rel=1e-9)
    extra = np.array([[10, 200, 30]], dtype=np.uint8)
    assert color_temperature_of(np.concatenate([colors, extra]), np.append(counts, 0)) == pytest.approx(want, rel=1e-9)
    clipped = np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8)  # clipped white and black: no scene white
    assert color_temperature_of(clipped, np.array([10, 10], dtype=np.int64)) is None
