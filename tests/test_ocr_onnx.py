"""The default OCR engine (onnxruntime alone, no rapidocr import) reads exactly what rapidocr reads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import brandkit
from benchmarks.bench_ocr import full_copy_request
from brandkit.ocr import OcrUnavailableError, RapidOcrEngine, default_ocr_engine
from brandkit.ocr_onnx import OnnxOcrEngine
from brandkit.ocr_rapid import NO_SPINNING, spinning_entries, to_bgr
from brandkit.ocr_regions import read_layout
from brandkit.pipeline import expectation_for
from brandkit.provider.local import LocalRenderer
from tests.checks_support import font, ocr_engine

__all__ = ["ocr_engine"]  # the session fixture, re-exported for pytest

ROOT = Path(__file__).resolve().parents[1]

# both brands, formats of every shape (square, tall, wide strip), copy of every role
CASES = [
    ("northwind", "square", "Slow mornings, bright roasts"),
    ("northwind", "banner", "Your café, your rhythm"),
    ("northwind", "portrait", "Brewed for 7 a.m. people"),
    ("lumen-health", "landscape", "Sleep better in 2 weeks"),
    ("lumen-health", "story", "Calm starts here"),
]


@pytest.fixture(scope="module")
def reference() -> Iterator[RapidOcrEngine]:
    engine = RapidOcrEngine()
    assert engine.available, engine.unavailable_reason
    yield engine


def _render(brand: str, fmt: str, headline: str, seed: int) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
    request = full_copy_request("onnx parity", headline, fmt)
    prompt = brandkit.compile(spec, request)
    image = LocalRenderer(spec).draw(prompt, seed=seed)
    return image, list(expectation_for(prompt).copy_boxes or [])


def test_the_default_engine_is_the_onnx_engine() -> None:
    assert isinstance(default_ocr_engine(), OnnxOcrEngine)


@pytest.mark.parametrize(("brand", "fmt", "headline"), CASES)
def test_reads_the_same_lines_as_rapidocr(
    brand: str, fmt: str, headline: str, ocr_engine: OnnxOcrEngine, reference: RapidOcrEngine
) -> None:
    image, areas = _render(brand, fmt, headline, seed=len(headline))
    whole = ocr_engine.read(image)
    assert whole == reference.read(image)  # text, box and confidence, line for line
    assert headline.replace(" ", "") in "".join(line.text for line in whole).replace(" ", "")  # maybe wrapped
    layout = read_layout(ocr_engine, image, areas)
    assert layout.lines == read_layout(reference, image, areas).lines


def test_same_reading_on_strips_small_crops_and_huge_images(
    ocr_engine: OnnxOcrEngine, reference: RapidOcrEngine
) -> None:
    # a strip wider than 8× its height (padded for the detector), a line under 30 px (bounded up), an image over
    # 2000 px (bounded down), transparency (over white)
    strip = Image.new("RGBA", (1200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(strip).text((20, 20), "Thin strip of copy, 8:1 and more", font=font(48), fill=(20, 20, 90, 255))
    huge = Image.new("RGB", (2600, 900), (250, 248, 240))
    ImageDraw.Draw(huge).text((100, 300), "Printed large on a huge image", font=font(140), fill=(10, 10, 10))
    for image in (strip, huge):
        lines = ocr_engine.read(image)
        assert lines and lines == reference.read(image)
    for wide_padding in (True, False):  # a copy area that is a wide strip: padded or not, both engines alike
        bgr = to_bgr(strip)
        quads = ocr_engine.detect(bgr, (0, 0, 1200, 100), 1.0, wide_padding=wide_padding)
        expected = reference.detect(bgr, (0, 0, 1200, 100), 1.0, wide_padding=wide_padding)
        assert quads and [q.tolist() for q in quads] == [q.tolist() for q in expected]
    bgr = to_bgr(huge)
    quads = ocr_engine.detect(bgr, (0, 0, 2600, 900), 0.35)
    assert [q.tolist() for q in quads] == [q.tolist() for q in reference.detect(bgr, (0, 0, 2600, 900), 0.35)]
    small = Image.new("RGB", (300, 24), (255, 255, 255))
    ImageDraw.Draw(small).text((4, 3), "tiny print 2026", font=font(16, bold=False), fill=(0, 0, 0))
    quad = np.array([[0, 0], [300, 0], [300, 24], [0, 24]], dtype=np.float32)
    read = ocr_engine.recognize(to_bgr(small), [quad])
    assert read == reference.recognize(to_bgr(small), [quad])
    assert read and "tiny" in read[0].text


def test_the_engine_never_imports_rapidocr() -> None:
    code = (
        "import sys\n"
        "from PIL import Image, ImageDraw\n"
        "from brandkit.ocr import default_ocr_engine\n"
        "img = Image.new('RGB', (400, 120), 'white')\n"
        "ImageDraw.Draw(img).rectangle((20, 40, 380, 80), fill='black')\n"
        "engine = default_ocr_engine()\n"
        "engine.read(img)\n"
        "assert engine.available, engine.unavailable_reason\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rapidocr', 'omegaconf', 'shapely')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_load_is_idempotent_and_thread_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = OnnxOcrEngine()
    built: list[str] = []
    real = OnnxOcrEngine._session

    def counting(self: OnnxOcrEngine, path: Path) -> object:
        built.append(path.name)
        return real(self, path)

    monkeypatch.setattr(OnnxOcrEngine, "_session", counting)
    threads = [threading.Thread(target=engine.load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.load()
    assert engine.available and engine.unavailable_reason is None
    assert sorted(built) == ["PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx"]  # each model built once


def test_sessions_never_spin_between_reads(ocr_engine: OnnxOcrEngine) -> None:
    sessions = ocr_engine.sessions()
    assert len(sessions) == 2
    for session in sessions:
        assert spinning_entries(session) == {key: "0" for key in NO_SPINNING}
        assert session.get_session_options().intra_op_num_threads == 2


def test_missing_models_make_it_unavailable_with_the_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("brandkit.ocr_onnx.model_dir", lambda: tmp_path)
    engine = OnnxOcrEngine()
    assert engine.available is False
    assert "PP-OCRv6_det_small.onnx" in (engine.unavailable_reason or "")
    with pytest.raises(OcrUnavailableError):
        engine.read(Image.new("RGB", (64, 64), "white"))


def test_parameters_it_cannot_honour_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="Det.box_thresh"):
        OnnxOcrEngine({"Det.box_thresh": 0.6})
    with pytest.raises(ValueError, match="rec_batch_num"):
        OnnxOcrEngine({"Rec.rec_batch_num": 6})
