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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from brandkit.checks.base import CheckResources
from brandkit.memo import MemoStore
from brandkit.provider import local_moderator
from brandkit.provider.base import Moderator
from brandkit.warm_cache import RESOURCE_KEY, WarmCache

__all__ = ["LOCAL_MODERATOR", "KitCheckResources", "KitResources"]

LOCAL_MODERATOR = "moderation.local"
"""The shared resource key of the offline moderation classifier."""


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
        installed); its model loads on the first image it judges. What ``moderator="auto"`` uses without a
        provider that moderates."""
        moderator: Moderator | None = self.checks.get(LOCAL_MODERATOR, local_moderator)
        return moderator

    def for_kit(self) -> KitCheckResources:
        """A per-kit layer over the shared check engines (what a kit's pipeline context holds)."""
        return KitCheckResources(self.checks)


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
