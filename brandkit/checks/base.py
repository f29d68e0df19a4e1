"""The check protocol: every check is a small class with ``name`` and ``run(ctx)``.

A check reads a :class:`CheckContext` (decoded image, encoded bytes, the
spec, what was ordered) and returns a :class:`~brandkit.models.CheckResult`.
Checks are pure CPU work; anything that needs the network (moderation) is
gathered by the pipeline and handed over in the context: a check declares
whether it reads the moderation scores (:attr:`CheckInfo.reads_moderation`),
and the pipeline runs the checks that do not while the moderation request is
out (:func:`split_checks`, :func:`combine_reports`). Heavy
engines (OCR, palette lookup tables, logo templates) live in
:class:`CheckResources`, which the caller creates once and reuses.

Fail closed: a check that should run but cannot returns ``not_checked``;
one that does not apply returns ``skipped`` with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Protocol, get_args, runtime_checkable

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brandkit.check_catalog import CheckDetails, CheckPolicy, FixZone, check_entry, check_names
from brandkit.errors import RequestError
from brandkit.field_errors import suggestion
from brandkit.geometry import PixelBox, scaled_box
from brandkit.imageio import load_image
from brandkit.models import CheckResult, CheckStatus, CopyBlock, Measure, ValidationReport
from brandkit.moderation_scores import ModerationScores as ModerationScores  # re-exported
from brandkit.spec.models import BrandSpec, CheckSettings


class Expectation(BaseModel):
    """What was ordered, which the checks compare the image against."""

    model_config = ConfigDict(extra="forbid")

    width: int | None = None
    height: int | None = None
    output_format: str | None = None
    transparent: bool | None = None
    copy_block: CopyBlock | None = Field(default=None, description="Exact copy expected on the image.")
    logo_variant: str | None = None
    logo_box: PixelBox | None = Field(
        default=None, description="Where the layout puts the logo file (x0, y0, x1, y1): checked there first."
    )
    photo_box: PixelBox | None = Field(
        default=None,
        description="The layout's photographic region (its hero box, x0, y0, x1, y1): the palette check judges "
        "it by colour character and everything else on the canvas as brand zones. None: no layout known.",
    )
    copy_boxes: list[PixelBox] = Field(
        default_factory=list,
        description="The layout's copy areas (copy box, disclaimer box; x0, y0, x1, y1) the copy is drawn in: the "
        "contrast check measures each line inside the area that holds it. Empty: no layout known.",
    )
    copy_font_px: list[Annotated[int, Field(ge=1, le=4096)] | None] = Field(
        default_factory=list,
        max_length=4,
        description="Parallel to copy_boxes: the smallest font size (px) brandkit set in each area when it drew the "
        "copy itself (text overlay, text fix), None where unknown; the OCR reads each area at the detector size "
        "that size needs. Empty: unknown (the model rendered the text, or no layout).",
    )
    cta_box: PixelBox | None = Field(
        default=None, description="The CTA's pill (x0, y0, x1, y1) when brandkit drew it. None: unknown."
    )
    background_tone: Literal["light", "dark"] | None = None
    max_file_bytes: int | None = None
    source_size: tuple[int, int] | None = Field(
        default=None,
        description="validate of a file with more pixels than the checks read: its size as shown (width, height), "
        "the image the checks get being that file reduced. None: the image is the file's own size.",
    )
    copy_source: str = Field(default="request", description="Where the expected copy came from.")
    replaced_copy: dict[str, str] = Field(
        default_factory=dict,
        description="An edit's: copy the edited image carried that the edit changes or removes (role → old text); "
        "the text check fails when it is still read.",
    )
    subject: Literal["attempt", "image"] = Field(
        default="attempt",
        description="What the checks' hints call the image: 'attempt' in generation and edits (a hint goes into the "
        "next attempt's prompt: 'the last attempt rendered …'), 'image' when an existing file is validated ('the "
        "image reads …').",
    )
    credentials_on_return: Literal["signed", "unsigned"] | None = Field(
        default=None,
        description="Generation only: whether brandkit signs the asset it returns (the credentials check reports "
        "that instead of reading the attempt's bytes). None: validate the file's own Content Credentials.",
    )

    def in_image(self, box: PixelBox, size: tuple[int, int]) -> PixelBox:
        """A box of the layout (x0, y0, x1, y1 at :attr:`width` × :attr:`height`) in the pixels of the image the
        checks read, of ``size``: scaled when the file was resized or read reduced; as it is when the layout's size
        is unknown."""
        known = (self.width, self.height) if self.width and self.height else None
        return scaled_box(box, known, size)

    def file_scale(self, size: tuple[int, int]) -> float:
        """How many of the file's pixels one pixel of the image the checks read (of ``size``) spans along its
        width: above 1 when the file was read reduced (:attr:`source_size`), else 1. A rule in pixels of the file
        (the logo's ``min_width_px``) is judged at this scale."""
        return self.source_size[0] / size[0] if self.source_size is not None and size[0] > 0 else 1.0


class CheckContext:
    """Everything a check may read about one image. Built once per image, shared by all checks.

    ``image``: the decoded ``data``; ``None``: decoded when a check first reads :attr:`image` (the checks that run
    after the moderation scores — the moderation check reads only the scores — get such a context, so that no
    pixels are held while a moderation request is out).
    """

    def __init__(
        self,
        *,
        spec: BrandSpec,
        image: Image.Image | None,
        data: bytes,
        expectation: Expectation,
        resources: CheckResources,
        moderation: ModerationScores | None = None,
        moderation_error: str | None = None,
    ) -> None:
        self.spec = spec
        self._image = image
        self.data = data
        self.expectation = expectation
        self.resources = resources
        self.moderation = moderation
        self.moderation_error = moderation_error
        self._cache: dict[str, Any] = {}

    @property
    def image(self) -> Image.Image:
        """The decoded image (decoded from :attr:`data` on first read when the context was built without it)."""
        if self._image is None:
            self._image = load_image(self.data)
        return self._image

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute ``key`` once per image (e.g. the OCR result shared by the text and contrast checks)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def memoised(self, key: str) -> Any:
        """The value :meth:`memo` holds for ``key``, ``None`` when nothing has computed it yet (nothing computed)."""
        return self._cache.get(key)


class CheckResources:
    """Engines and lookup tables shared across images; create one per kit, reuse it.

    Holds no global state: each kit (or each test) owns its own instance.
    """

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}

    def put(self, key: str, value: Any) -> None:
        """Provide a resource up front (e.g. an OCR engine shared by several kits, or a test double)."""
        self._items[key] = value

    def get(self, key: str, factory: Callable[[], Any]) -> Any:
        """The resource named ``key``, created by ``factory`` on first use."""
        if key not in self._items:
            self._items[key] = factory()
        return self._items[key]


@dataclass(frozen=True)
class CheckInfo:
    """What a check declares about itself, as its ``info`` class attribute.

    ``name`` (its key in reports and in the spec's ``checks``), ``default_policy``, ``fix_zone`` (the compose zone
    its ``fix`` redraws, or ``None``), ``details_model`` (the typed view of its ``CheckResult.details``) and
    ``reads_moderation`` (whether it reads ``ctx.moderation`` / ``ctx.moderation_error``: such a check runs once
    the scores are in, the others while the moderation request is out; ``True`` unless declared otherwise, so a
    check that does not say waits, as every check did before). A built-in check takes all but ``details_model``
    from its row in ``brandkit/check_catalog.py`` with :meth:`builtin`.
    """

    name: str
    default_policy: CheckPolicy
    fix_zone: FixZone | None = None
    details_model: type[CheckDetails] = CheckDetails
    reads_moderation: bool = True

    @classmethod
    def builtin(cls, name: str, details_model: type[CheckDetails] = CheckDetails) -> CheckInfo:
        """The declaration of built-in check ``name`` (its catalog row) with its details model."""
        entry = check_entry(name)
        return cls(entry.name, entry.default_policy, entry.fix_zone, details_model, entry.reads_moderation)

    def details(self, outcome: CheckResult) -> CheckDetails:
        """``outcome.details`` read through :attr:`details_model` (``ValueError`` naming the check if malformed)."""
        if outcome.name != self.name:
            raise ValueError(f"a {outcome.name!r} result read as a {self.name!r} result")
        try:
            return self.details_model.model_validate(outcome.details)
        except ValidationError as exc:
            raise ValueError(f"check {self.name!r}: details do not match {self.details_model.__name__}: {exc}") from exc


@runtime_checkable
class Check(Protocol):
    """A validation check. ``name`` is the key in the report and in the spec's ``checks`` policies."""

    name: str

    def run(self, ctx: CheckContext) -> CheckResult:
        """Inspect ``ctx`` and return a result (never raise for a bad image: fail or not_checked)."""
        ...


@runtime_checkable
class DeclaredCheck(Check, Protocol):
    """A check that declares itself (every built-in check): ``info`` is its :class:`CheckInfo`."""

    info: ClassVar[CheckInfo]


def the_image(expectation: Expectation) -> str:
    """What a hint calls the image checked: ``"the last attempt"`` (generation) or ``"the image"`` (``validate``)."""
    return "the last attempt" if expectation.subject == "attempt" else "the image"


def in_the_image(expectation: Expectation) -> str:
    """:func:`the_image` after a preposition: ``"on the last attempt"`` or ``"in the image"``."""
    return "on the last attempt" if expectation.subject == "attempt" else "in the image"


def said(expectation: Expectation, past: str, present: str) -> str:
    """``past`` of a generation attempt ("the last attempt rendered"), ``present`` of a validated file ("the image
    reads")."""
    return past if expectation.subject == "attempt" else present


def limit_pct(value: float) -> str:
    """A spec limit as a percentage, exactly as it was set (``0.005`` → ``0.5%``, ``0.85`` → ``85%``): a hint
    never rounds the bound it names (a ``min_share`` of 0.5 % is not "at least 0%")."""
    return f"{round(value * 100, 4):g}%"


def measured_pct(value: float, limit: float) -> str:
    """A measured share beside the limit it broke, with the decimals it takes to differ from that limit as
    :func:`limit_pct` writes it (0.0046 against 0.005: ``0.46%``, not ``0.5%`` — "0.5%, needs at least 0.5%")."""
    bound = limit_pct(limit)
    for decimals in (1, 2, 3, 4):
        shown = f"{value * 100:.{decimals}f}%"
        if shown != bound and f"{float(shown[:-1]):g}%" != bound:
            return shown
    return f"{value * 100:.4f}%"


def result(
    name: str,
    status: CheckStatus,
    *,
    score: float | None = None,
    threshold: float | None = None,
    details: dict[str, Any] | None = None,
    hint: str | None = None,
    measures: list[Measure] | None = None,
) -> CheckResult:
    """Shorthand for building a :class:`CheckResult`."""
    return CheckResult(
        name=name,
        status=status,
        score=score,
        threshold=threshold,
        details=details or {},
        hint=hint,
        measures=measures or [],
    )


def reads_moderation(check: Check) -> bool:
    """Whether ``check`` reads the moderation scores: what it declares (:attr:`CheckInfo.reads_moderation`); a
    check without a declaration is taken to."""
    return check.info.reads_moderation if isinstance(check, DeclaredCheck) else True


def split_checks(checks: Sequence[Check]) -> tuple[list[Check], list[Check]]:
    """``checks`` (in order) as those that do not read the moderation scores and those that do."""
    before = [check for check in checks if not reads_moderation(check)]
    after = [check for check in checks if reads_moderation(check)]
    return before, after


POLICIES: tuple[CheckPolicy, ...] = get_args(CheckPolicy)


def checked_policies(policies: Mapping[str, object] | None, checks: Sequence[Check]) -> dict[str, CheckPolicy]:
    """``policies`` (check name → policy, from a request or a ``validate`` call) for a kit running ``checks``: a
    name that is neither a built-in check nor one of ``checks`` (a misspelling), or a value that is not a policy,
    is a :class:`~brandkit.RequestError` naming it (``policies.<name>``) — never ignored, never reported as given.
    A built-in check the kit does not run may be named (a plan shared by kits with other checks): it has no
    effect."""
    names = list(dict.fromkeys([*(check.name for check in checks), *check_names()]))
    chosen: dict[str, CheckPolicy] = {}
    for name, policy in (policies or {}).items():
        if name not in names:
            raise RequestError(
                f"policies.{name}: no check is named {name!r}{suggestion(name, names)} "
                f"(the checks: {', '.join(names)})",
                field=f"policies.{name}",
                value=name,
            )
        if policy not in POLICIES:
            raise RequestError(
                f"policies.{name}: {policy!r} is not a policy{suggestion(str(policy), POLICIES)} "
                f"(one of {', '.join(POLICIES)})",
                field=f"policies.{name}",
                value=policy,
            )
        chosen[name] = policy  # narrowed to a CheckPolicy by the test against POLICIES above
    return chosen


def run_checks(
    ctx: CheckContext,
    checks: Sequence[Check],
    policies: dict[str, CheckPolicy] | None = None,
) -> ValidationReport:
    """Run ``checks`` on ``ctx``; a check that raises is recorded as ``not_checked`` (fail closed)."""
    policies = policies or {}
    results: dict[str, CheckResult] = {}
    started = time.perf_counter()
    for check in checks:
        settings = ctx.spec.policy(check.name)
        if check.name not in ctx.spec.checks and isinstance(check, DeclaredCheck):
            # a check the spec does not name runs with its declared default (the catalog's, for a built-in)
            settings = CheckSettings(policy=check.info.default_policy)
        if not settings.enabled:
            continue
        t0 = time.perf_counter()
        try:
            outcome = check.run(ctx)
        except Exception as exc:
            outcome = result(
                check.name,
                CheckStatus.not_checked,
                details={"error": f"{type(exc).__name__}: {exc}"},
                hint=None,
            )
        outcome.policy = policies.get(check.name, settings.policy)
        outcome.elapsed_ms = round((time.perf_counter() - t0) * 1000.0, 3)
        results[check.name] = outcome
    return ValidationReport(
        checks=results,
        spec_name=ctx.spec.name,
        spec_fingerprint=ctx.spec.fingerprint,
        spec_mode=ctx.spec.mode,
        elapsed_ms=round((time.perf_counter() - started) * 1000.0, 3),
    )


def combine_reports(checks: Sequence[Check], first: ValidationReport, second: ValidationReport) -> ValidationReport:
    """One report of two runs of disjoint parts of ``checks`` on the same image (:func:`split_checks`): the
    results in ``checks``' order, as one :func:`run_checks` over all of them would list them; ``elapsed_ms`` the
    two runs' sum (the checks' own time, not the moderation request's)."""
    if first.spec_fingerprint != second.spec_fingerprint:
        raise ValueError("combine_reports: the two reports are of different specs")
    shared = first.checks.keys() & second.checks.keys()
    if shared:
        raise ValueError(f"combine_reports: checks run twice: {sorted(shared)}")
    found = {**first.checks, **second.checks}
    ordered = {check.name: found[check.name] for check in checks if check.name in found}
    return first.model_copy(update={"checks": ordered, "elapsed_ms": round(first.elapsed_ms + second.elapsed_ms, 3)})
