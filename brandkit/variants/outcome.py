"""How a variant run ends up: the output folder's run lock, and a failure's kind and reason as the journal
records them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brandkit.check_catalog import CheckDetails
from brandkit.errors import (
    BrandkitError,
    BrandViolationError,
    ModerationBlockedError,
    OutputError,
    ProviderError,
    RequestError,
)

__all__ = ["RunLock", "failure_kind", "failure_reason"]


class RunLock:
    """An exclusive lock on the output folder (``DIR/.lock``), released by the OS if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"
        self._handle: Any = None

    def __enter__(self) -> RunLock:
        """Take the lock; OutputError when another run holds it or it cannot be created."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+")
        except OSError as exc:
            message = f"{self.path}: cannot create the run lock ({exc.strerror or exc})"
            raise OutputError(message, str(self.path)) from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise OutputError(f"{self.path.parent}: another variant run is using this folder", str(self.path)) from None
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def failure_reason(exc: BaseException) -> str:
    """Why a variant failed, in words (the failed checks and their hints, or the error; at most 600 characters)."""
    if isinstance(exc, BrandViolationError) and exc.report is not None:
        parts = []
        for result in exc.report.failures:
            note = result.hint or (CheckDetails.of(result.details).reason or result.status.value)
            parts.append(f"{result.name}: {note}")
        if parts:
            return "; ".join(parts)[:600]
    text = str(exc) if isinstance(exc, BrandkitError) else f"{type(exc).__name__}: {exc}"
    return text[:600]


def failure_kind(exc: BaseException) -> str:
    """The journal's failure kind of ``exc``: checks, blocked, request, provider, output or error."""
    if isinstance(exc, BrandViolationError):
        return "checks"
    if isinstance(exc, ModerationBlockedError):
        return "blocked"
    if isinstance(exc, RequestError):
        return "request"
    if isinstance(exc, ProviderError):
        return "provider"
    if isinstance(exc, OutputError):
        return "output"
    return "error"
