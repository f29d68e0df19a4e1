"""The brandkit exception tree.

Every error raised on purpose by brandkit derives from :class:`BrandkitError`::

    BrandkitError
    ├── SpecError                  bad brand spec (file, field path, value)
    ├── RequestError               bad request / parameters, caught before any provider call
    │   ├── RequestValidationError a request model got a bad or unknown field (also a ValueError)
    │   ├── ForbiddenContentError  forbidden term, competitor or pattern in brief or copy
    │   └── CopyFitError           the copy cannot be set in the format's layout (``field``: which element)
    ├── ImageInputError            an image that cannot be read safely (truncated, bomb, …)
    ├── OutputError                an output folder or file that cannot be written
    │   ├── OutputExistsError      a file is already there and overwriting was not asked for (``path``)
    │   ├── OutputFolderError      pre-flight: the output folder is unusable or too small; nothing was spent
    │   └── OutputFailedError      paid results could not be saved (full disk, read-only…): saved/kept/lost
    ├── ConfigurationError         unusable configuration (an API key that cannot be sent); nothing was sent
    ├── BrandViolationError        checks failed after every allowed attempt
    ├── PartialGenerationError     generate_many made some of its n assets, not all (``assets``, ``failures``)
    ├── RegistryError              the asset registry (SQLite) cannot be opened, read or written
    │   ├── AssetNotFoundError     no asset with that id
    │   └── ReviewStateError       a review decision that is not allowed (unknown state, empty reason)
    └── ProviderError              the image service failed (keeps request id, ``__cause__``)
        ├── ProviderConnectionError / ProviderTimeoutError
        ├── RateLimitError
        ├── QuotaExceededError
        ├── AuthenticationError
        ├── InvalidParameterError
        ├── ModerationBlockedError
        ├── ProviderResponseError  malformed body, undecodable image, wrong size
        └── BatchIncompleteError   a Batch API batch ended (expired, cancelled, failed) without answering

The whole tree is one module on purpose (as httpx keeps its exceptions together): one place to read what can
be raised and what each error carries.

Error messages never contain secrets: :func:`redact` scrubs anything that
looks like an API key before a message is stored.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from brandkit.rate_limits import RateLimitInfo

ReportT = TypeVar("ReportT")
AttemptT = TypeVar("AttemptT")
AssetT = TypeVar("AssetT")

_KEY_PATTERN = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|sess-[A-Za-z0-9_\-]{6,})")
_BEARER_PATTERN = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{6,}")


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove API keys (``sk-…``), bearer tokens and any explicitly given secret from ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[REDACTED]")
    text = _KEY_PATTERN.sub("[REDACTED]", text)
    return _BEARER_PATTERN.sub(r"\1[REDACTED]", text)


class BrandkitError(Exception):
    """Base class of every error brandkit raises on purpose."""

    def __init__(self, message: str) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SpecIssue:
    """One problem found in a brand spec: where it is and what is wrong."""

    __slots__ = ("file", "location", "message", "value")

    def __init__(self, file: str, location: str, message: str, value: Any = None) -> None:
        self.file = file
        self.location = location
        self.message = message
        self.value = value

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}" if self.location else self.file
        shown = "" if self.value is None else f" (got {_short_repr(self.value)})"
        return f"{where}: {self.message}{shown}"

    def __repr__(self) -> str:
        return f"SpecIssue({self!s})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, used by ``brandkit spec check --json``."""
        return {
            "file": self.file,
            "location": self.location,
            "message": self.message,
            "value": _short_repr(self.value) if self.value is not None else None,
        }


def _short_repr(value: Any, limit: int = 80) -> str:
    """A short repr that never walks a huge or deeply nested value in full (YAML alias bombs)."""
    shortener = reprlib.Repr()
    shortener.maxlevel = 3
    shortener.maxlist = shortener.maxtuple = shortener.maxdict = shortener.maxset = 6
    shortener.maxstring = shortener.maxother = limit
    try:
        text = shortener.repr(value)
    except RecursionError:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SpecError(BrandkitError):
    """A brand spec is missing, unreadable or invalid. ``issues`` lists every problem."""

    def __init__(self, message: str, issues: Sequence[SpecIssue] = ()) -> None:
        self.issues = list(issues)
        if self.issues:
            message = message + "\n" + "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(message)


class RequestError(BrandkitError):
    """An asset request or parameter set is invalid; raised before anything is sent or spent."""

    def __init__(self, message: str, field: str | None = None, value: Any = None) -> None:
        self.field = field
        self.value = value
        super().__init__(message)


class RequestValidationError(RequestError, ValueError):
    """A request model (``AssetRequest``, ``EditRequest``…) was given a bad or unknown field.

    Raised instead of pydantic's ``ValidationError`` so that ``except brandkit.BrandkitError`` catches it; also a
    ``ValueError``. ``field`` is the first bad field's path, ``problems`` every problem (``field``, ``message`` —
    with "did you mean" for an unknown field — and ``value``).
    """

    def __init__(
        self, message: str, field: str | None = None, value: Any = None, problems: Sequence[dict[str, Any]] = ()
    ) -> None:
        self.problems = list(problems)
        super().__init__(message, field=field, value=value)


class CopyFitError(RequestError):
    """The copy cannot be set in the layout of the requested format, even at the smallest legible size.

    ``field`` names the element (``headline``, ``subhead``, ``cta``, ``disclaimers[i]``, or ``copy`` when they do not
    fit together) and ``value`` its text. Raised by the compile step, before anything is rendered or paid."""


class ForbiddenContentError(RequestError):
    """The brief or the copy contains something the brand forbids."""

    def __init__(self, message: str, matches: Sequence[Any] = (), field: str | None = None) -> None:
        self.matches = list(matches)
        super().__init__(message, field=field)


class ImageInputError(BrandkitError):
    """An image could not be read safely (missing, truncated, too large, unsupported)."""

    def __init__(self, message: str, source: str | None = None) -> None:
        self.source = source
        super().__init__(message)


class SidecarError(BrandkitError):
    """A sidecar JSON (``<image>.json``, written by :meth:`~brandkit.Asset.save`) is missing, unreadable or not
    brandkit's: ``path`` names the file and ``field`` the first bad field (``None``: the whole file)."""

    def __init__(self, message: str, path: str | None = None, field: str | None = None) -> None:
        self.path = path
        self.field = field
        super().__init__(message)


class OutputError(BrandkitError):
    """An output path cannot be written (is a file, not writable, outside the output folder)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class OutputExistsError(OutputError):
    """A file is already at ``path`` and the write was not allowed to replace it (``overwrite=False``)."""


class OutputFolderError(OutputError):
    """Pre-flight refused the output folder before anything was spent.

    ``path`` is the folder, ``problem`` what is wrong (``not_a_folder``, ``dangling_link``, ``pseudo_filesystem``,
    ``read_only``, ``not_writable``, ``no_space``, ``no_inodes``; ``not_empty`` and ``holds_source`` for a spec
    import's folder); with ``no_space``, ``need_bytes`` is the
    estimate for the run and ``free_bytes`` what the filesystem has.
    """

    def __init__(
        self,
        message: str,
        path: str,
        problem: str,
        *,
        need_bytes: int | None = None,
        free_bytes: int | None = None,
    ) -> None:
        self.problem = problem
        self.need_bytes = need_bytes
        self.free_bytes = free_bytes
        super().__init__(message, path=path)


class OutputFailedError(OutputError):
    """Results were paid for but could not be written where asked (full disk, read-only, I/O error).

    ``saved`` results reached the output folder, ``kept`` were kept elsewhere (``kept_at``: where), ``lost``
    could be kept nowhere; ``cost_usd`` is what the unsaved ones cost. The cause (``OSError``) is chained.
    """

    def __init__(
        self,
        message: str,
        path: str | None = None,
        *,
        saved: int = 0,
        kept: int = 0,
        lost: int = 0,
        kept_at: str | None = None,
        cost_usd: float = 0.0,
    ) -> None:
        self.saved = saved
        self.kept = kept
        self.lost = lost
        self.kept_at = kept_at
        self.cost_usd = cost_usd
        super().__init__(message, path=path)


class ConfigurationError(BrandkitError):
    """The configuration cannot work (e.g. an API key that cannot be sent as an HTTP header).

    ``setting`` names what is wrong (``OPENAI_API_KEY``, ``api_key``); raised before anything is sent.
    The message never contains the value of a secret setting, nor any part of it.
    """

    def __init__(self, message: str, setting: str | None = None) -> None:
        self.setting = setting
        super().__init__(message)


class BrandViolationError(BrandkitError, Generic[ReportT, AttemptT, AssetT]):
    """Checks still failed after every allowed attempt.

    ``report`` is the best attempt's report (a :class:`brandkit.models.ValidationReport`), ``best`` the best
    attempt and ``attempts`` every attempt in order, each with its own report (:class:`brandkit.models.Attempt`).
    ``asset`` is the best attempt as an unsaved :class:`brandkit.Asset` — its failing report, its provenance
    embedded, never signed — so what was paid for can be kept for review (``exc.asset.save("out/ad-rejected.png")``
    writes the image and its sidecar; ``brandkit generate`` and ``brandkit edit`` do it); ``None`` when no attempt
    was rendered. The types are parameters so that this module, the bottom of the package, imports no model (the
    models import it): the pipeline raises ``BrandViolationError[ValidationReport, Attempt, Asset]``.
    """

    def __init__(
        self,
        message: str,
        report: ReportT | None = None,
        best: AttemptT | None = None,
        attempts: Sequence[AttemptT] = (),
        asset: AssetT | None = None,
    ) -> None:
        self.report = report
        self.best = best
        self.attempts = list(attempts)
        self.asset = asset
        self.kept_path: Path | None = None
        """Where the call itself saved ``asset``, when it did (a conversation turn with an ``out`` folder)."""
        super().__init__(message)


@dataclass(frozen=True)
class VariantFailure:
    """One variant of ``generate_many`` that was not made: its 0-based ``index``, its ``seed``, and the
    ``error`` it raised — or ``None`` when it was not attempted (the run stopped at an earlier provider error)."""

    index: int
    seed: int | None
    error: Exception | None

    def describe(self) -> str:
        """One line: which variant, and why it was not made."""
        what = (
            "not attempted (stopped after an earlier variant's error)"
            if self.error is None
            else f"{type(self.error).__name__}: {self.error}"
        )
        return f"variant {self.index + 1} (seed {self.seed}): {what}"


class PartialGenerationError(BrandkitError, Generic[AssetT]):
    """``generate_many`` made some of the assets asked for, not all: the finished ones are not lost.

    ``assets`` are the assets made (validated, paid for), in the request's order; ``asset_indices`` their
    0-based variant numbers; ``failures`` the variants not made (:class:`VariantFailure`); ``requested`` is ``n``.
    The first failure is chained as ``__cause__``. Raised only when at least one asset was made — when none was,
    the first variant's own error is raised unchanged.
    """

    def __init__(
        self,
        assets: Sequence[AssetT],
        asset_indices: Sequence[int],
        failures: Sequence[VariantFailure],
        requested: int,
    ) -> None:
        self.assets = list(assets)
        self.asset_indices = list(asset_indices)
        self.failures = list(failures)
        self.requested = requested
        lines = "; ".join(failure.describe() for failure in self.failures)
        super().__init__(f"{len(self.assets)} of {requested} assets made; not made: {lines}")

    @property
    def first_error(self) -> Exception | None:
        """The first variant error raised (what decides the CLI's exit code)."""
        return next((failure.error for failure in self.failures if failure.error is not None), None)


class RegistryError(BrandkitError):
    """The asset registry cannot be opened, migrated, read or written (``path``: the database file)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class AssetNotFoundError(RegistryError):
    """No asset with this id in the registry."""

    def __init__(self, message: str, asset_id: int | None = None, path: str | None = None) -> None:
        self.asset_id = asset_id
        super().__init__(message, path=path)


class ReviewStateError(RegistryError):
    """A review decision that is not allowed (unknown state, a rejection without a reason, …)."""


class ProviderError(BrandkitError):
    """The image or moderation service failed.

    ``request_id`` is the provider's request id when one was returned,
    ``status_code`` the HTTP status, ``code`` the provider's error code,
    ``rate_limit`` the rate-limit headers of the error answer (a typed
    :class:`~brandkit.rate_limits.RateLimitInfo`, when the provider reports them); the
    original exception is chained as ``__cause__``.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        provider: str | None = None,
        rate_limit: RateLimitInfo | None = None,
    ) -> None:
        self.request_id = request_id
        self.status_code = status_code
        self.code = code
        self.provider = provider
        self.rate_limit = rate_limit
        extra = []
        if status_code is not None:
            extra.append(f"status={status_code}")
        if code:
            extra.append(f"code={code}")
        if request_id:
            extra.append(f"request_id={request_id}")
        super().__init__(message + (f" [{', '.join(extra)}]" if extra else ""))


class ProviderConnectionError(ProviderError):
    """The service could not be reached or the connection broke."""

    retryable = True


class ProviderTimeoutError(ProviderConnectionError):
    """The service did not answer in time."""


class RateLimitError(ProviderError):
    """The service asked us to slow down (HTTP 429 rate limit)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(ProviderError):
    """The service failed on its side (HTTP 5xx, 408, 409)."""

    retryable = True


class QuotaExceededError(ProviderError):
    """The account has no quota or credit left (``insufficient_quota``); never retried."""


class AuthenticationError(ProviderError):
    """The API key is missing, wrong, or lacks permission; never retried."""


class InvalidParameterError(ProviderError):
    """The service rejected the parameters (HTTP 400); never retried."""


class ModerationBlockedError(ProviderError):
    """The provider's safety system blocked the prompt, an input image or the output.

    ``stage`` is ``input``, ``output`` or ``unknown``; ``categories`` the coarse labels.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str = "unknown",
        categories: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        self.stage = stage
        self.categories = list(categories)
        super().__init__(f"{message} (stage={stage}, categories={list(categories)})", **kwargs)


class ProviderResponseError(ProviderError):
    """The service answered, but the answer is unusable (malformed JSON, bad base64, wrong size)."""

    retryable = True


class BatchIncompleteError(ProviderError):
    """An OpenAI Batch API batch ended without answering a request.

    ``batch_id`` names the batch and ``batch_status`` how it ended (``expired``, ``cancelled``,
    ``failed``); ``code`` is the batch's error code when it gave one (``batch_expired``). An expired
    request is retryable (the Batch engine submits it again in its next batch); a cancelled one is not.
    """

    def __init__(self, message: str, *, batch_id: str, batch_status: str, **kwargs: Any) -> None:
        self.batch_id = batch_id
        self.batch_status = batch_status
        super().__init__(message, **kwargs)
        self.retryable = batch_status == "expired"
