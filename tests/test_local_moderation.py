"""The local nudity classifier: the same detections as nudenet's own, from the decoded image, no thread spinning.

Real photographs (scikit-image's, a sample of the gate corpus' composed ads and foreign copies) go through
nudenet's ``NudeDetector.detect`` and through :class:`~brandkit.provider.nudity_detector.NudityDetector`; the
boxes, classes and scores must agree. The pipeline must hand the decoded image to a moderator that takes one.
"""

from __future__ import annotations

import asyncio
import importlib
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

import brandkit
from brandkit.moderation_scores import ModerationScores
from brandkit.provider.decoded_moderation import ModeratesDecoded
from brandkit.provider.local_moderation import NudeNetModerator
from brandkit.provider.nudity_detector import LABELS, NudityDetector, postprocess
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import load_cases, render_all

nudenet = importlib.import_module("nudenet.nudenet")  # nudenet's own implementation, the reference

REQ = dict(
    brief="A ceramic cup of coffee on an oak table",
    headline="Slow mornings, bright roasts",
    subhead="Roasted this week in small batches.",
    cta="Order ahead",
)


def _photos() -> list[tuple[str, np.ndarray]]:
    import skimage.data

    photos = [
        (name, np.asarray(getattr(skimage.data, name)())) for name in ("astronaut", "chelsea", "coffee", "rocket")
    ]
    by_photo: dict[str, list[Any]] = {}
    for case in load_cases():
        by_photo.setdefault(case.photo, []).append(case)
    # every photograph of the corpus, in several brands, formats and kinds (composed ads, foreign copies, bare)
    cases = [case for group in by_photo.values() for case in group[::12]]
    files = render_all(cases)
    for case in cases:
        with Image.open(files[case.id]) as im:
            photos.append((case.id, np.asarray(im.convert("RGB"))))
    photos.append(("non-square crop", photos[0][1][40:400, :300]))
    return photos


@pytest.fixture(scope="module")
def photos() -> list[tuple[str, np.ndarray]]:
    return _photos()


def _theirs(rgb: np.ndarray, detector: Any) -> list[tuple[str, float, list[int]]]:
    found = detector.detect(np.ascontiguousarray(rgb[:, :, ::-1]))  # what brandkit used to hand nudenet: BGR
    return [(d["class"], float(d["score"]), list(d["box"])) for d in found]


def test_same_detections_as_nudenet_on_real_photographs(photos: list[tuple[str, np.ndarray]]) -> None:
    theirs_detector = nudenet.NudeDetector()
    ours = NudityDetector()
    total = 0
    for name, rgb in photos:
        expected = _theirs(rgb, theirs_detector)
        got = ours.detect(rgb)
        assert [d.label for d in got] == [e[0] for e in expected], name
        assert [list(d.box) for d in got] == [e[2] for e in expected], name
        assert np.allclose([d.score for d in got], [e[1] for e in expected], rtol=0, atol=1e-6), name
        total += len(expected)
    assert total >= 8  # the comparison saw real detections (faces, feet, …), not only empty lists


def test_the_labels_are_nudenets() -> None:
    assert list(LABELS) == list(vars(nudenet)["__labels"])


@pytest.mark.parametrize("size", [(1024, 1024), (1536, 640), (480, 900), (33, 17)])
def test_vectorised_postprocessing_equals_nudenets_loop(size: tuple[int, int]) -> None:
    """Random raw outputs (many candidates above the floor, boxes running off every edge)."""
    rng = np.random.default_rng(sum(size))
    raw = np.empty((1, 4 + len(LABELS), 2100), dtype=np.float32)
    raw[0, :2] = rng.uniform(-40, 360, size=(2, 2100))
    raw[0, 2:4] = rng.uniform(1, 200, size=(2, 2100))
    raw[0, 4:] = rng.uniform(0, 0.35, size=(len(LABELS), 2100)) ** 1.5 * 2.5
    width, height = size
    side = max(width, height)
    expected = vars(nudenet)["_postprocess"]([raw], side - width, side - height, 0, 0, width, height, 320, 320)
    got = postprocess(raw, width, height)
    assert len(expected) > 20
    assert [(d.label, d.score, list(d.box)) for d in got] == [(e["class"], e["score"], e["box"]) for e in expected]


def test_nothing_above_the_floor_is_no_detection() -> None:
    raw = np.zeros((1, 4 + len(LABELS), 2100), dtype=np.float32)
    assert postprocess(raw, 64, 64) == []


def test_onnxruntime_threads_do_not_spin_between_runs() -> None:
    detector = NudityDetector()
    assert detector.spinning == {"intra_op": False, "inter_op": False}


def test_moderating_bytes_and_the_decoded_image_agree(photos: list[tuple[str, np.ndarray]]) -> None:
    moderator = NudeNetModerator()
    assert isinstance(moderator, ModeratesDecoded)
    _, rgb = photos[0]
    image = Image.fromarray(rgb)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    from_bytes = moderator.moderate(buf.getvalue(), "image/png", "")
    decoded = moderator.moderate_image(image, "")
    assert from_bytes == decoded
    assert decoded.covered_categories == ["sexual"] and set(decoded.scores) == {"sexual"}
    assert [d.label for d in moderator.detect(image)] == [d.label for d in NudityDetector().detect(rgb)]
    assert asyncio.run(moderator.amoderate_image(image, "")) == decoded


class _Recording:
    """A moderator that says which form of the image it was given."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[int, int] | int]] = []

    def _scores(self) -> ModerationScores:
        return ModerationScores(source=self.name, scores={"sexual": 0.0}, flagged=False, covered_categories=["sexual"])

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        self.calls.append(("bytes", len(image)))
        return self._scores()

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        return self.moderate(image, mime, text)


class _RecordingDecoded(_Recording):
    def moderate_image(self, image: Image.Image, text: str) -> ModerationScores:
        self.calls.append(("decoded", image.size))
        return self._scores()

    async def amoderate_image(self, image: Image.Image, text: str) -> ModerationScores:
        return self.moderate_image(image, text)


def _png(size: tuple[int, int] = (320, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (250, 245, 230)).save(buf, "PNG")
    return buf.getvalue()


def test_validate_hands_the_decoded_image_to_a_moderator_that_takes_it(northwind: BrandSpec) -> None:
    decoded = _RecordingDecoded()
    brandkit.BrandKit(northwind, provider="local", moderator=decoded, checks=["technical"]).validate(_png())
    assert decoded.calls == [("decoded", (320, 200))]
    plain = _Recording()
    brandkit.BrandKit(northwind, provider="local", moderator=plain, checks=["technical"]).validate(_png())
    assert plain.calls == [("bytes", len(_png()))]


def test_generate_hands_the_decoded_image_sync_and_async(northwind: BrandSpec) -> None:
    request = brandkit.AssetRequest(**REQ, seed=3)  # type: ignore[arg-type]
    sync = _RecordingDecoded()
    brandkit.BrandKit(northwind, provider="local", moderator=sync, max_attempts=1, checks=["technical"]).generate(
        request
    )
    assert sync.calls and all(kind == "decoded" for kind, _ in sync.calls)
    asynchronous = _RecordingDecoded()
    kit = brandkit.AsyncBrandKit(
        northwind, provider="local", moderator=asynchronous, max_attempts=1, checks=["technical"]
    )
    asyncio.run(kit.generate(request))
    assert asynchronous.calls and all(kind == "decoded" for kind, _ in asynchronous.calls)
