"""Warm start: a kit loads the engines its checks need on a background thread while it compiles and renders.

The check waits for that load and never starts a second one; an engine that cannot load says so in the check as
it would have without the preload; a kit that never checks starts nothing; no preload thread outlives the call.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Generator

import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.errors import ProviderError
from brandkit.models import CheckStatus
from brandkit.moderation_scores import ModerationScores
from brandkit.ocr import OCR_RESOURCE_KEY, OcrLine
from brandkit.resources import KitResources, Preload


class SlowEngine:
    """An OCR engine whose load takes a while and is counted (thread-safe, idempotent: like RapidOcrEngine)."""

    name = "slow"

    def __init__(self, fail: str | None = None, delay: float = 0.3) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._fail = fail
        self._delay = delay
        self.loads: list[str] = []  # the thread of each real load
        self.reads = 0

    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self.loads.append(threading.current_thread().name)
            time.sleep(self._delay)
            self._loaded = True

    @property
    def available(self) -> bool:
        self.load()
        return self._fail is None

    @property
    def unavailable_reason(self) -> str | None:
        self.load()
        return self._fail

    def read(self, image: Image.Image) -> list[OcrLine]:
        if not self.available:
            from brandkit.ocr import OcrUnavailableError

            raise OcrUnavailableError(self._fail or "")
        self.reads += 1
        return []


class BrokenModerator:
    """A local-style moderator whose model cannot load: ``load`` and every use raise the same error (a
    :class:`ProviderError`, what the pipeline turns into a ``not_checked`` moderation)."""

    name = "local:broken"

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def load(self) -> None:
        self.attempts.append(threading.current_thread().name)
        raise ProviderError("moderation weights are corrupt", provider=self.name)

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        self.load()
        raise AssertionError("unreachable")

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        return self.moderate(image, mime, text)


def _png() -> bytes:
    image = Image.new("RGB", (256, 256), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((32, 32, 224, 224), fill=(20, 40, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _preload_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "brandkit-preload"]


def test_validate_loads_the_ocr_engine_once_in_the_background(northwind: brandkit.BrandSpec) -> None:
    resources = KitResources()
    engine = SlowEngine()
    resources.checks.put(OCR_RESOURCE_KEY, engine)
    kit = brandkit.BrandKit(northwind, provider="local", resources=resources, signer=None)
    report = kit.validate(_png())
    assert engine.loads == ["brandkit-preload"]  # loaded once, by the preload; the check waited for it
    assert engine.reads == 1 and report.checks["text"].status is not CheckStatus.not_checked
    assert _preload_threads() == []  # joined when the call returned
    kit.validate(_png())
    assert engine.loads == ["brandkit-preload"]  # a second call loads nothing again


def test_an_engine_that_cannot_load_says_so_in_the_check(northwind: brandkit.BrandSpec) -> None:
    resources = KitResources()
    resources.checks.put(OCR_RESOURCE_KEY, SlowEngine(fail="the detector model is missing"))
    moderator = BrokenModerator()
    kit = brandkit.BrandKit(northwind, provider="local", resources=resources, moderator=moderator, signer=None)
    report = kit.validate(_png())
    text = report.checks["text"]
    assert text.status is CheckStatus.not_checked
    assert "the detector model is missing" in str(text.details)
    moderation = report.checks["moderation"]
    assert moderation.status is CheckStatus.not_checked
    assert "moderation weights are corrupt" in str(moderation.details)
    # tried in the background, and again where the engine is used (which raised it into the report): the
    # pipeline moderates on a thread of its own while the checks run on the caller's (flows/effects.py::Gather)
    assert sorted(moderator.attempts) == ["brandkit-gather_0", "brandkit-preload"]
    assert _preload_threads() == []


def test_a_kit_that_never_checks_starts_nothing(northwind: brandkit.BrandSpec) -> None:
    resources = KitResources()
    engine = SlowEngine()
    resources.checks.put(OCR_RESOURCE_KEY, engine)
    kit = brandkit.BrandKit(northwind, provider="local", resources=resources, signer=None)
    kit.compile({"brief": "a cup of coffee", "headline": "Fresh roast"})
    assert engine.loads == [] and _preload_threads() == []
    assert resources.preload([], None) is None
    assert resources.preload(["palette", "technical"], None) is None  # no check that needs an engine
    only_technical = brandkit.BrandKit(
        northwind, provider="local", resources=resources, checks=["technical"], signer=None
    )
    only_technical.validate(_png())
    assert engine.loads == []


def test_a_call_that_fails_before_its_first_step_starts_nothing(northwind: brandkit.BrandSpec) -> None:
    resources = KitResources()
    engine = SlowEngine(delay=0.5)
    resources.checks.put(OCR_RESOURCE_KEY, engine)
    kit = brandkit.BrandKit(northwind, provider="local", resources=resources, signer=None)
    with pytest.raises(brandkit.ImageInputError):
        kit.validate(b"not an image")  # not decodable: nothing was checked, nothing loaded
    term = northwind.forbidden.terms[0]
    with pytest.raises(brandkit.ForbiddenContentError):
        kit.generate({"brief": f"a cup of coffee, {term}", "headline": "Fresh roast"})  # refused at compile
    assert engine.loads == [] and _preload_threads() == []


class DownProvider:
    """A provider whose every render fails (the service is down)."""

    name = "down"

    def render(self, call: object) -> object:
        raise ProviderError("the service is down", provider=self.name)

    async def arender(self, call: object) -> object:
        return self.render(call)


def test_a_failure_after_the_first_step_joins_the_preload(northwind: brandkit.BrandSpec) -> None:
    resources = KitResources()
    engine = SlowEngine(delay=0.5)
    resources.checks.put(OCR_RESOURCE_KEY, engine)
    kit = brandkit.BrandKit(northwind, provider=DownProvider(), resources=resources, moderator=None, signer=None)  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="the service is down"):
        kit.generate({"brief": "a cup of coffee", "headline": "Fresh roast"})  # compiled, then the render fails
    assert _preload_threads() == []  # joined before the error reached the caller
    assert engine.loads in ([], ["brandkit-preload"])  # skipped if not started yet, else finished: never twice


def test_after_first_step_is_transparent() -> None:
    """The wrapper hands every value and error through and returns the flow's result."""
    from brandkit.resources import after_first_step

    def flow() -> Generator[str, int, str]:
        got = yield "a"
        try:
            yield f"b{got}"
        except KeyError as exc:
            yield f"caught {exc.args[0]}"
        return "done"

    started: list[int] = []
    wrapped = after_first_step(flow(), lambda: started.append(1))
    assert started == []
    assert next(wrapped) == "a" and started == [1]
    assert wrapped.send(7) == "b7"
    assert wrapped.throw(KeyError("k")) == "caught k"
    with pytest.raises(StopIteration) as stop:
        wrapped.send(0)
    assert stop.value.value == "done" and started == [1]

    def nothing() -> Generator[str, int, str]:
        return "early"
        yield "never"  # a generator that returns before its first step

    early = after_first_step(nothing(), lambda: started.append(2))
    with pytest.raises(StopIteration) as stop:
        next(early)
    assert stop.value.value == "early" and started == [1]


def test_release_skips_the_steps_not_started_and_a_later_call_starts_again() -> None:
    started = threading.Event()
    ran: list[str] = []

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        ran.append("slow")

    preload = Preload([("slow", slow), ("next", lambda: ran.append("next"))]).acquire().start()
    started.wait(5)
    preload.release()
    assert ran == ["slow"] and not preload.alive and preload.stopped
    assert preload.done.keys() == {"slow"}
    resources = KitResources()
    engine = SlowEngine(delay=0.0)
    resources.checks.put(OCR_RESOURCE_KEY, engine)
    first = resources.preload(["text"], None)
    second = resources.preload(["contrast"], None)
    assert first is second and first is not None  # the same engines: one preload, shared
    first.release()
    assert second.alive or second.done == {"ocr": second.done["ocr"]}
    second.release()
    assert not second.alive and engine.loads == ["brandkit-preload"]


def test_async_kit_preloads_through_the_same_code(northwind: brandkit.BrandSpec) -> None:
    resources = KitResources()
    engine = SlowEngine()
    resources.checks.put(OCR_RESOURCE_KEY, engine)
    kit = brandkit.AsyncBrandKit(northwind, provider="local", resources=resources, signer=None)

    async def both() -> None:
        await asyncio.gather(kit.validate(_png()), kit.validate(_png()))

    asyncio.run(both())
    assert engine.loads == ["brandkit-preload"] and engine.reads == 2
    assert _preload_threads() == []
