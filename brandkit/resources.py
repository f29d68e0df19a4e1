"""What a kit loads once and reuses, in one object callers can share: ``BrandKit(spec, resources=...)``.

:class:`KitResources` holds the check engines (:class:`~brandkit.checks.base.CheckResources`: OCR, the local
moderation classifier — created on first use) and the memo tables of :mod:`brandkit.memo` (fonts, glyph
coverage, logo images, forbidden-term matches), and the disk cache of prepared tables
(:class:`~brandkit.warm_cache.WarmCache`: palette tables, a logo's features — ``WarmCache.default()`` unless
given one, created on first use). Each kit makes its own unless given one; several kits (a test
session, a service with many brands) can share one. It is never part of a spec, so specs stay picklable for the
worker processes of ``validate --jobs`` (each worker builds its own kit and resources).

A kit's own settings (its trust anchors) go into a per-kit layer (:class:`KitCheckResources`) over the shared
engines, so kits that share resources never see each other's settings.

**Warm start.** :meth:`KitResources.preload` loads the engines a kit's checks will need (the OCR engine for
``text`` / ``contrast``, the local moderation model) on a background thread while the kit compiles and renders
(onnxruntime releases the GIL while it builds its sessions), so the first check finds them loaded instead of
loading them. The engine objects are created in the caller's thread first; the thread only calls their
``load()`` (idempotent, under each engine's own lock): a check that gets there first waits for that load, never
starts a second one, and an engine that cannot load says so in the check exactly as it would have without the
preload (the OCR engine remembers its error; a moderator's failed load is left for its first use, which raises
it). The kit ends its preload when its call returns (:meth:`Preload.release`): steps not started are skipped and
the thread is joined — no thread outlives the call that needed it. :meth:`KitResources.warm` prepares
everything up front, on the caller's thread (``BrandKit.warm()``, ``brandkit cache warm``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from brandkit.checks.base import CheckResources
from brandkit.memo import MemoStore
from brandkit.provider import local_moderator
from brandkit.provider.base import Moderator
from brandkit.warm_cache import RESOURCE_KEY, WarmCache

if TYPE_CHECKING:
    from brandkit.spec.models import BrandSpec

__all__ = [
    "LOCAL_MODERATOR",
    "KitCheckResources",
    "KitResources",
    "Loadable",
    "Preload",
    "PreloadScope",
    "WarmReport",
    "after_first_step",
]

LOCAL_MODERATOR = "moderation.local"
"""The shared resource key of the offline moderation classifier."""
MODERATOR_THREADS = 1
"""The offline classifier's intra-op threads: it runs beside the checks, which take another core."""

OCR_CHECKS = frozenset({"text", "contrast"})
"""The built-in checks that read the image with the OCR engine."""

_log = logging.getLogger("brandkit.resources")
Y = TypeVar("Y")
R = TypeVar("R")


@runtime_checkable
class Loadable(Protocol):
    """An engine that can load its models ahead of use (idempotent, thread-safe): the OCR engine, the local
    moderation classifier."""

    def load(self) -> None:
        """Load now; a later call does nothing."""
        ...


@dataclass
class WarmReport:
    """What :meth:`KitResources.warm` prepared: seconds per part, and the parts that could not be prepared
    (with why — the check concerned reports it as ``not_checked``)."""

    seconds: dict[str, float] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


class Preload:
    """Engines loading on a background thread (see the module docstring); shared by the calls that need them.

    Each call that relies on it :meth:`acquire` s it and :meth:`release` s it when done; when the last one
    releases it, the steps not yet started are skipped and the thread is joined.
    """

    def __init__(self, steps: list[tuple[str, Callable[[], None]]]) -> None:
        self.names = [name for name, _ in steps]
        self._steps = steps
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._users = 0
        self.done: dict[str, float] = {}
        """Each step that ran and its wall seconds (complete once the thread is joined)."""
        self.failed: dict[str, str] = {}
        """Each step that raised and the error (the engine's first use raises it again, in the check)."""
        self._thread = threading.Thread(target=self._run, name="brandkit-preload", daemon=True)

    def __repr__(self) -> str:
        return f"Preload({self.names!r}, done={sorted(self.done)!r})"

    def start(self) -> Preload:
        """Start the thread (once)."""
        with self._lock:
            if self._thread.ident is None:
                self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        """Whether the thread is still running."""
        return self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        """Whether it was ended before every step ran."""
        return self._stop.is_set() and len(self.done) + len(self.failed) < len(self._steps)

    def acquire(self) -> Preload:
        """One more call relies on it (call :meth:`release` when that call is done)."""
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        """One call is done with it; the last one skips the steps not started and joins the thread."""
        with self._lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self._stop.set()
            if self._thread.ident is not None:
                self._thread.join()

    def _run(self) -> None:
        for name, step in self._steps:
            if self._stop.is_set():
                return
            started = time.perf_counter()
            try:
                step()
            except Exception as exc:  # left for the engine's first use, which raises it where it would have
                self.failed[name] = f"{type(exc).__name__}: {exc}"
                _log.debug("preload of %s failed: %s", name, self.failed[name])
            else:
                self.done[name] = time.perf_counter() - started


def after_first_step(steps: Generator[Y, Any, R], start: Callable[[], None]) -> Generator[Y, Any, R]:
    """``steps`` unchanged (every value sent, every error thrown in, its result), calling ``start`` once it has
    yielded its first step: what a flow does before that (compiling the request, decoding the image) has passed.
    How a kit starts its :meth:`KitResources.preload` only for a call that gets as far as rendering or checking."""
    try:
        step = next(steps)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    start()
    while True:
        try:
            sent = yield step
        except GeneratorExit:
            steps.close()
            raise
        except BaseException as exc:  # handed to the flow, as the driver would have
            try:
                step = steps.throw(exc)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            continue
        try:
            step = steps.send(sent)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class PreloadScope:
    """One kit call's share of the background preload: :meth:`wrap` its flow so the preload starts once the flow
    yields its first step (a request that fails to compile, an image that cannot be decoded, starts nothing);
    :meth:`release` when the call is done (what :meth:`KitResources.preloading` / :meth:`KitResources.apreloading`
    do). Sync and async calls share this one class; only the release differs (off the event loop)."""

    def __init__(self, resources: KitResources, checks: Collection[str], moderator: Moderator | None) -> None:
        self._resources = resources
        self._checks = list(checks)
        self._moderator = moderator
        self.started: list[Preload] = []

    def __repr__(self) -> str:
        return f"PreloadScope(checks={self._checks!r}, started={len(self.started)})"

    def _start(self) -> None:
        preload = self._resources.preload(self._checks, self._moderator)
        if preload is not None:
            self.started.append(preload)

    def wrap(self, flow: Generator[Y, Any, R]) -> Generator[Y, Any, R]:
        """``flow`` unchanged, starting the preload after its first step."""
        return after_first_step(flow, self._start)

    def release(self) -> None:
        """This call is done with the engines (the last call joins the preload thread)."""
        while self.started:
            self.started.pop().release()


class KitResources:
    """Check engines and memo tables shared by the kits given this object (thread-safe; created lazily)."""

    def __init__(
        self,
        checks: CheckResources | None = None,
        memo: MemoStore | None = None,
        warm_cache: WarmCache | None = None,
    ) -> None:
        self.checks = checks if checks is not None else CheckResources()
        self.memo = memo if memo is not None else MemoStore()
        self._warm_lock = threading.Lock()
        self._preload_lock = threading.Lock()
        self._preloads: dict[tuple[str, ...], Preload] = {}
        if warm_cache is not None:
            self.checks.put(RESOURCE_KEY, warm_cache)

    def __repr__(self) -> str:
        return f"KitResources(memo={self.memo!r})"

    @property
    def warm_cache(self) -> WarmCache:
        """The disk cache of prepared tables (palette tables, logo features), shared by the kits given these
        resources; ``WarmCache.default()`` on first use unless one was given. Checks reach it with
        ``WarmCache.of(ctx.resources)``."""
        with self._warm_lock:
            return WarmCache.of(self.checks)

    @contextmanager
    def active(self) -> Iterator[KitResources]:
        """Activate the memo tables for the block (a kit wraps each of its calls in this)."""
        with self.memo.active():
            yield self

    def local_moderator(self) -> Moderator | None:
        """The offline nudity classifier shared by the kits given these resources (``None`` when nudenet is not
        installed); its model loads on the first image it judges (its optimised graph kept in
        :attr:`warm_cache`). What ``moderator="auto"`` uses without a provider that moderates.

        One intra-op thread: the pipeline runs it beside the checks (``flows/steps.py::moderated_check_step``),
        which take the other core; on two cores that is 22 ms of CPU a 1024² image against 26–28 with two threads,
        and the same wall time (docs/benchmarks.md)."""
        moderator: Moderator | None = self.checks.get(
            LOCAL_MODERATOR, lambda: local_moderator(self.warm_cache, threads=MODERATOR_THREADS)
        )
        return moderator

    def for_kit(self) -> KitCheckResources:
        """A per-kit layer over the shared check engines (what a kit's pipeline context holds)."""
        return KitCheckResources(self.checks)

    def _engines(self, checks: Collection[str], moderator: Moderator | None) -> list[tuple[str, Loadable]]:
        """The loadable engines ``checks`` (names of the checks that will run) and ``moderator`` need, created
        (not loaded) here in the caller's thread, in the order they are first needed."""
        engines: list[tuple[str, Loadable]] = []
        if "moderation" in checks and isinstance(moderator, Loadable):  # moderation runs before the checks
            engines.append(("moderation", moderator))
        if OCR_CHECKS & set(checks):
            from brandkit.ocr import OCR_RESOURCE_KEY, default_ocr_engine
            from brandkit.ocr_onnx import fast_ocr_engine

            ocr = self.checks.get(OCR_RESOURCE_KEY, lambda: default_ocr_engine(self.warm_cache))
            fast = fast_ocr_engine(self.checks, ocr)
            if fast is not None:  # the layout's first read (brandkit.checks.ocr_reading): needed first
                engines.append(("ocr-fast", fast))
            if isinstance(ocr, Loadable):
                engines.append(("ocr", ocr))
        return engines

    def preload(self, checks: Collection[str], moderator: Moderator | None) -> Preload | None:
        """Start loading, on a background thread, the engines that ``checks`` (the names of the checks that will
        run) and ``moderator`` need and that are not loading yet; ``None`` when there is nothing to load.

        The caller :meth:`Preload.acquire` s the result and :meth:`Preload.release` s it when its call is done.
        A preload already running (or finished) for the same engines is shared, not started again.
        """
        engines = self._engines(checks, moderator)
        if not engines:
            return None
        key = tuple(f"{name}:{id(engine)}" for name, engine in engines)
        with self._preload_lock:
            current = self._preloads.get(key)
            if current is not None and not current.stopped:
                return current.acquire()
            preload = Preload([(name, engine.load) for name, engine in engines])
            self._preloads[key] = preload
            return preload.acquire().start()

    @contextmanager
    def preloading(self, checks: Collection[str], moderator: Moderator | None) -> Iterator[PreloadScope]:
        """A sync kit call's :class:`PreloadScope`, released when the block ends."""
        scope = PreloadScope(self, checks, moderator)
        try:
            yield scope
        finally:
            scope.release()

    @asynccontextmanager
    async def apreloading(self, checks: Collection[str], moderator: Moderator | None) -> AsyncIterator[PreloadScope]:
        """An async kit call's :class:`PreloadScope`; released on a worker thread (joining the preload thread
        never blocks the event loop)."""
        import asyncio

        scope = PreloadScope(self, checks, moderator)
        try:
            yield scope
        finally:
            await asyncio.to_thread(scope.release)

    def warm(self, spec: BrandSpec, checks: Collection[str], moderator: Moderator | None) -> WarmReport:
        """Prepare everything ``checks`` (the names of the checks that will run) need for ``spec``, now, on the
        caller's thread: the palette tables and the logo's features (into the warm disk cache too, for later
        processes), the OCR engine, ``moderator``'s model. What ``BrandKit.warm()`` runs.

        Raises what a palette or logo preparation raises (an unreadable logo file: ``ImageInputError`` naming
        it); an engine that cannot load is reported in :attr:`WarmReport.unavailable`.
        """
        report = WarmReport()
        parts: list[tuple[str, Callable[[], None]]] = []
        if "palette" in checks:
            from brandkit.checks.palette import warm_palette

            parts.append(("palette", lambda: warm_palette(spec, self.checks)))
        if "logo" in checks and spec.logos:
            from brandkit.checks.logo import warm_logo

            parts.append(("logo", lambda: warm_logo(spec, self.checks)))
        parts.extend((name, engine.load) for name, engine in self._engines(checks, moderator))
        with self.active():
            for name, prepare in parts:
                started = time.perf_counter()
                try:
                    prepare()
                except Exception as exc:
                    if name in ("palette", "logo"):
                        raise
                    report.unavailable[name] = f"{type(exc).__name__}: {exc}"
                    continue
                report.seconds[name] = round(time.perf_counter() - started, 4)
        if OCR_CHECKS & set(checks):
            from brandkit.ocr import OCR_RESOURCE_KEY, OcrEngine, default_ocr_engine

            engine: OcrEngine = self.checks.get(OCR_RESOURCE_KEY, lambda: default_ocr_engine(self.warm_cache))
            reason = engine.unavailable_reason  # the engine remembers why it could not load
            if reason:
                report.unavailable["ocr"] = reason
                report.seconds.pop("ocr", None)
        return report


class KitCheckResources(CheckResources):
    """One kit's check resources: what the kit ``put`` (its own settings) first, then the shared engines."""

    def __init__(self, shared: CheckResources) -> None:
        super().__init__()
        self._shared = shared
        self._own: set[str] = set()

    def put(self, key: str, value: Any) -> None:
        """Set ``key`` for this kit only."""
        super().put(key, value)
        self._own.add(key)

    def get(self, key: str, factory: Callable[[], Any]) -> Any:
        """This kit's ``key`` if it put one, else the shared resource (created by ``factory`` on first use)."""
        if key in self._own:
            return super().get(key, factory)
        return self._shared.get(key, factory)
