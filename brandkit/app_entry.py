"""Entry points of the applications built on the SDK, found at call time: the SDK never imports them.

``BrandKit.variants`` / ``AsyncBrandKit.variants`` are public convenience methods, but the variants runner is an
application on top of the kit (it imports the kit). So the kit does not import it: the runner is declared as a
package entry point in ``pyproject.toml`` (group ``brandkit.apps``: ``variants`` → ``brandkit.variants:run_variants``,
``avariants`` → ``brandkit.variants:arun_variants``) and looked up here when the method is called. The dependency
points one way (variants → kit); the kit only knows the :class:`VariantsRunner` / :class:`AsyncVariantsRunner`
call shape. Nothing is cached (no module state); a missing entry point is a :class:`ConfigurationError`.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from importlib.metadata import entry_points
from typing import Any, Protocol, cast

from brandkit.errors import ConfigurationError

GROUP = "brandkit.apps"


class VariantsRunner(Protocol):
    """``brandkit.variants.run_variants``'s call shape, as the kit calls it."""

    def __call__(self, plan: Any, out: str | os.PathLike[str], **options: Any) -> Any:
        """Run every variant of ``plan`` into ``out``."""
        ...


class AsyncVariantsRunner(Protocol):
    """``brandkit.variants.arun_variants``'s call shape, as the async kit awaits it."""

    def __call__(self, plan: Any, out: str | os.PathLike[str], **options: Any) -> Awaitable[Any]:
        """Run every variant of ``plan`` into ``out``."""
        ...


def _load(name: str) -> object:
    found = entry_points(group=GROUP, name=name)
    for entry in found:
        return entry.load()
    raise ConfigurationError(
        f"the {name!r} application of brandkit is not installed (entry point {GROUP}:{name} missing): "
        "reinstall brandkit (pip install brandkit, or pip install -e . in a checkout)",
        setting=f"{GROUP}:{name}",
    )


def variants_runner() -> VariantsRunner:
    """The installed variants runner (``brandkit.variants.run_variants``)."""
    return cast(VariantsRunner, _load("variants"))


def async_variants_runner() -> AsyncVariantsRunner:
    """The installed async variants runner (``brandkit.variants.arun_variants``)."""
    return cast(AsyncVariantsRunner, _load("avariants"))


__all__ = ["GROUP", "AsyncVariantsRunner", "VariantsRunner", "async_variants_runner", "variants_runner"]
