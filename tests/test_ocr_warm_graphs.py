"""The OCR models' optimised graphs in the warm cache: a later engine loads them without optimising again and
reads exactly what an engine built from the model files reads; a kit's engine keeps them in the kit's cache."""

from __future__ import annotations

from pathlib import Path

import onnxruntime

import brandkit
from brandkit.models import AssetRequest
from brandkit.ocr import default_ocr_engine
from brandkit.ocr_onnx import CACHE_KIND, OnnxOcrEngine
from brandkit.ocr_regions import read_layout
from brandkit.pipeline import expectation_for
from brandkit.provider.local import LocalRenderer
from brandkit.resources import KitResources
from brandkit.warm_cache import WarmCache

ROOT = Path(__file__).resolve().parents[1]


def _optimised_here(session: object) -> bool:
    """Whether onnxruntime optimised the graph while building ``session`` (False: an already optimised graph)."""
    level = session.get_session_options().graph_optimization_level  # type: ignore[attr-defined]
    return bool(level != onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL)


def _ad() -> tuple[object, list[tuple[int, int, int, int]]]:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "lumen-health")
    request = AssetRequest(
        brief="warm graphs",
        headline="Calm starts here",
        cta="Learn more",
        disclaimers=["Not a substitute for professional medical advice."],
        format="square",
        text="render",
        logo="reference",
    )
    prompt = brandkit.compile(spec, request)
    return LocalRenderer(spec).draw(prompt, seed=3), list(expectation_for(prompt).copy_boxes or [])


def test_an_engine_from_the_cached_graphs_reads_exactly_what_the_model_files_read(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    image, areas = _ad()
    reference = OnnxOcrEngine()
    first = OnnxOcrEngine(warm_cache=cache)  # a miss: both graphs optimised here and stored
    assert all(_optimised_here(s) for s in first.sessions())
    assert cache.usage()[CACHE_KIND].entries == 2  # detector and recogniser
    second = OnnxOcrEngine(warm_cache=cache)  # a hit: the stored graphs, optimisers off
    assert not any(_optimised_here(s) for s in second.sessions())
    expected = reference.read(image)  # type: ignore[arg-type]
    assert any("Calm starts here" in line.text for line in expected)
    assert first.read(image) == expected  # type: ignore[arg-type]
    assert second.read(image) == expected  # type: ignore[arg-type]  # text, boxes and float scores, exactly
    layout = read_layout(reference, image, areas)  # type: ignore[arg-type]
    assert read_layout(second, image, areas).lines == layout.lines  # type: ignore[arg-type]


def test_the_kits_ocr_engine_keeps_its_graphs_in_the_kits_warm_cache(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path / "kit-cache")
    resources = KitResources(warm_cache=cache)
    assert not (tmp_path / "kit-cache" / CACHE_KIND).exists()
    report = resources.warm(brandkit.load_spec(ROOT / "brand_specs" / "northwind"), ["text"], None)
    assert not report.unavailable
    # both models of the reference engine and of the fast engine that reads a layout first (PP-OCRv6 tiny)
    assert len(list((tmp_path / "kit-cache" / CACHE_KIND).glob("*.onnx"))) == 4
    assert {"ocr", "ocr-fast"} <= set(report.seconds)
    disabled = default_ocr_engine(WarmCache(None))  # a disabled cache: optimised at every load, nothing stored
    assert all(_optimised_here(s) for s in disabled.sessions())
