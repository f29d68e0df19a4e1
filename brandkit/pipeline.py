"""The pipeline, written once for sync and async.

Each flow (generate, edit, validate) is a generator that *yields effects* —
"render this call", "moderate this image", "compute this" — and receives
their results. It never does I/O itself. :func:`run_sync` executes effects
with blocking calls; :func:`run_async` awaits the providers' async twins and
runs CPU work in a thread. So :class:`~brandkit.BrandKit` and
:class:`~brandkit.AsyncBrandKit` share every line of pipeline logic.

The repair loop is a tenacity ``Retrying`` over attempts: a failed report
raises ``_Regenerate`` inside the attempt, tenacity decides whether another
attempt is allowed (attempt count and spend budget), and the feedback of
the failed attempt goes into the next compiled prompt.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, Literal, TypeVar, cast

from PIL import Image
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_none
from tenacity.stop import stop_base

from brandkit.asset import Asset, embed_provenance, provenance_record
from brandkit.budget import BudgetExceededError, SpendBudget
from brandkit.checks.base import Check, CheckContext, CheckResources, Expectation, ModerationScores, run_checks
from brandkit.compile import compile_edit, compile_prompt
from brandkit.compose import draw_copy, draw_logo, zone_color
from brandkit.credentials.signer import CredentialSigner
from brandkit.credentials.step import finish_asset, on_return, require_signer
from brandkit.edit_inherit import inherit_edit
from brandkit.errors import BrandViolationError, ImageInputError, ProviderError, ProviderResponseError
from brandkit.imageio import detect_format, encode_image, load_image, read_bytes, verify_image
from brandkit.models import (
    AssetRequest,
    Attempt,
    CompiledPrompt,
    CopyBlock,
    EditRequest,
    ProvenanceNote,
    RenderCall,
    RenderResult,
    ValidationReport,
)
from brandkit.provenance import ProvenanceReading, ProvenanceRecord, read_provenance_record
from brandkit.provider.base import ImageProvider, Moderator, worst_case_cost_of
from brandkit.repair import best_attempt, decide, feedback_for
from brandkit.spec.models import BrandSpec, CheckPolicy

T = TypeVar("T")
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


# --- effects -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Render:
    """Ask the provider for images."""

    call: RenderCall


@dataclass(frozen=True)
class Moderate:
    """Ask the moderator to score one image and the prompt text."""

    image: bytes
    mime: str
    text: str


@dataclass(frozen=True)
class Compute:
    """CPU-bound work (decode, compose, checks): inline when sync, in a worker thread when async."""

    fn: Callable[[], Any]


Effect = Render | Moderate | Compute
Flow = Generator[Effect, Any, T]


@dataclass
class KitContext:
    """What a flow needs: spec, provider, moderator, checks and their shared resources."""

    spec: BrandSpec
    provider: ImageProvider
    moderator: Moderator | None
    checks: Sequence[Check]
    resources: CheckResources = field(default_factory=CheckResources)
    signer: CredentialSigner | None = None  # signs returned assets (Content Credentials); None: unsigned


# --- drivers -----------------------------------------------------------------------------------------------


class _Stepper(Generic[T]):
    """Advances a flow: hands it the last effect's result (or error) and returns the next effect."""

    def __init__(self, flow: Flow[T]) -> None:
        self.flow = flow
        self.value: Any = None
        self.error: Exception | None = None
        self.result: Any = None

    def next_effect(self) -> Effect | None:
        """The next effect to execute, or ``None`` when the flow has returned (its value is in ``result``)."""
        try:
            effect = self.flow.throw(self.error) if self.error is not None else self.flow.send(self.value)
        except StopIteration as stop:
            self.result = stop.value
            return None
        self.value, self.error = None, None
        return effect


def _moderator(ctx: KitContext) -> Moderator:
    if ctx.moderator is None:  # _moderate() yields Moderate only when a moderator is configured
        raise RuntimeError("no moderator configured")
    return ctx.moderator


def run_sync(flow: Flow[T], ctx: KitContext) -> T:
    """Drive ``flow`` to completion with blocking calls."""
    step = _Stepper(flow)
    while (effect := step.next_effect()) is not None:
        try:
            if isinstance(effect, Render):
                step.value = ctx.provider.render(effect.call)
            elif isinstance(effect, Moderate):
                step.value = _moderator(ctx).moderate(effect.image, effect.mime, effect.text)
            else:
                step.value = effect.fn()
        except Exception as exc:  # handed back into the flow, which decides
            step.error = exc
    return cast(T, step.result)


async def run_async(flow: Flow[T], ctx: KitContext) -> T:
    """Drive ``flow`` to completion, awaiting the async twins and threading CPU work."""
    step = _Stepper(flow)
    while (effect := step.next_effect()) is not None:
        try:
            if isinstance(effect, Render):
                step.value = await ctx.provider.arender(effect.call)
            elif isinstance(effect, Moderate):
                step.value = await _moderator(ctx).amoderate(effect.image, effect.mime, effect.text)
            else:
                step.value = await asyncio.to_thread(effect.fn)
        except Exception as exc:
            step.error = exc
    return cast(T, step.result)


# --- shared steps --------------------------------------------------------------------------------------------


def expectation_for(
    prompt: CompiledPrompt,
    copy_source: str = "request",
    credentials_on_return: Literal["signed", "unsigned"] | None = None,
) -> Expectation:
    """What the checks expect of an image made for ``prompt`` (``credentials_on_return``: generation only)."""
    return Expectation(
        credentials_on_return=credentials_on_return,
        width=prompt.width,
        height=prompt.height,
        output_format=str(prompt.params.get("output_format", "png")),
        transparent=prompt.params.get("background") == "transparent",
        copy_block=prompt.copy_block,
        logo_variant=prompt.logo_variant,
        logo_box=prompt.layout.logo_box.as_tuple() if prompt.layout.logo_box is not None else None,
        photo_box=prompt.layout.hero_box.as_tuple() if prompt.layout.hero_box is not None else (0, 0, 0, 0),
        copy_boxes=[b.as_tuple() for b in (prompt.layout.copy_box, prompt.layout.disclaimer_box) if b is not None],
        background_tone=prompt.background_tone,
        copy_source=copy_source,
    )


def _moderate(ctx: KitContext, data: bytes, fmt: str, text: str) -> Flow[tuple[ModerationScores | None, str | None]]:
    if ctx.moderator is None:
        return None, "no moderation service or local classifier configured"
    try:
        scores = yield Moderate(data, _MIME.get(fmt, "image/png"), text)
    except ProviderError as exc:
        return None, f"moderation service failed: {exc}"
    return scores, None


def _check(
    ctx: KitContext,
    image_data: bytes,
    expectation: Expectation,
    policies: dict[str, CheckPolicy],
    moderation: ModerationScores | None,
    moderation_error: str | None,
    decoded: Image.Image | None = None,
) -> Flow[ValidationReport]:
    """Run the checks on ``image_data``; ``decoded`` is its already decoded image, when the caller has it."""

    def work() -> ValidationReport:
        image = decoded if decoded is not None else load_image(image_data)
        check_ctx = CheckContext(
            spec=ctx.spec,
            image=image,
            data=image_data,
            expectation=expectation,
            resources=ctx.resources,
            moderation=moderation,
            moderation_error=moderation_error,
        )
        return run_checks(check_ctx, ctx.checks, policies)

    report: ValidationReport = yield Compute(work)
    return report


def _overlay(
    ctx: KitContext, prompt: CompiledPrompt, data: bytes, fmt: str, zones: frozenset[str], repaint: bool
) -> bytes:
    """Composite exact copy and/or the real logo into the layout's zones; returns the re-encoded image."""
    spec = ctx.spec
    image = load_image(data)
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    canvas = image.convert("RGB")
    layout = prompt.layout
    if "text" in zones:
        color = zone_color(canvas, spec, layout.copy_box) if repaint else None
        draw_copy(canvas, spec, layout, prompt.copy_block, repaint=color)
    if "logo" in zones and prompt.logo_variant and layout.logo_clear_box is not None:
        variant = spec.logo(prompt.logo_variant)
        color = zone_color(canvas, spec, layout.logo_clear_box, for_logo=variant) if repaint else None
        draw_logo(canvas, spec, layout, variant, repaint=color)
    out = canvas
    if alpha is not None:
        out = canvas.convert("RGBA")
        out.putalpha(alpha)
    return encode_image(out, fmt, prompt.params.get("output_compression"))


def _evaluate(
    ctx: KitContext, prompt: CompiledPrompt, result: RenderResult, number: int, policies: dict[str, CheckPolicy]
) -> Flow[tuple[Attempt, tuple[ModerationScores | None, str | None]]]:
    """Decode, compose overlays, moderate and check one provider image.

    Returns the attempt and the moderation outcome, which a deterministic fix (drawing only brand copy and the
    logo) reuses instead of paying for a second moderation call.
    """
    started = time.perf_counter()
    rendered = result.images[0]
    fmt = rendered.output_format
    zones = frozenset(
        z for z, on in (("text", prompt.text_mode == "overlay"), ("logo", prompt.logo_mode == "overlay")) if on
    )

    def undecodable(exc: ImageInputError) -> ProviderResponseError:
        return ProviderResponseError(
            f"{result.provider} returned an undecodable image: {exc}",
            request_id=result.request_id,
            provider=result.provider,
        )

    def prepare() -> tuple[bytes, Image.Image | None]:
        """The image to check, and its decoded form when the bytes are the provider's own and no moderation
        request comes between: a decoded image is ~3 MB per megapixel, not to be held across a request (a
        run has many variants waiting there at once). Before moderation, the image is only verified (no
        pixels decoded); the checks decode it after."""
        try:
            if zones:  # re-encoded: the checks decode the bytes as they will be delivered
                return _overlay(ctx, prompt, rendered.data, fmt, zones, repaint=False), None
            if ctx.moderator is not None:
                verify_image(rendered.data)
                return rendered.data, None
            return rendered.data, load_image(rendered.data)
        except ImageInputError as exc:
            raise undecodable(exc) from exc

    data, decoded = yield Compute(prepare)
    moderation, moderation_error = yield from _moderate(ctx, data, fmt, prompt.text)
    try:
        expectation = expectation_for(prompt, credentials_on_return=on_return(ctx.signer))
        report = yield from _check(ctx, data, expectation, policies, moderation, moderation_error, decoded)
    except ImageInputError as exc:  # only the provider's own bytes can fail here (verified, not decoded)
        raise undecodable(exc) from exc
    fixes = [f"overlay:{z}" for z in sorted(zones)]
    attempt = Attempt(
        number=number,
        prompt=prompt,
        data=data,
        output_format=fmt,
        report=report,
        provider=result.provider,
        model=result.model,
        cost_usd=result.cost_usd,
        request_id=result.request_id,
        fixes=fixes,
        elapsed_s=time.perf_counter() - started,
        photo=rendered.photo,
        notes=list(result.notes),
    )
    return attempt, (moderation, moderation_error)


def _fix(
    ctx: KitContext,
    attempt: Attempt,
    zones: frozenset[str],
    policies: dict[str, CheckPolicy],
    moderation: tuple[ModerationScores | None, str | None],
) -> Flow[Attempt]:
    prompt = attempt.prompt
    data: bytes = yield Compute(lambda: _overlay(ctx, prompt, attempt.data, attempt.output_format, zones, repaint=True))
    expectation = expectation_for(prompt, credentials_on_return=on_return(ctx.signer))
    report = yield from _check(ctx, data, expectation, policies, *moderation)
    return attempt.model_copy(
        update={
            "data": data,
            "report": report,
            "report_before_fix": attempt.report,
            "fixes": [*attempt.fixes, *(f"fix:{z}" for z in sorted(zones))],
        }
    )


class _Regenerate(Exception):
    """Raised inside an attempt to ask tenacity for another one."""


class _Stop(Exception):
    """Raised inside an attempt when a failure must not be repaired."""


class _OverBudget(_Stop):
    """Raised inside an attempt when the next call's worst case does not fit in the asset's spend budget."""

    def __init__(self, error: BudgetExceededError) -> None:
        super().__init__(str(error))
        self.error = error


def _unpriced_note(provider: ImageProvider) -> str:
    return (
        f"provider {provider.name!r} states no worst-case cost: the spend budget (max_spend_usd) is checked "
        "after each call, not reserved before it"
    )


def _seed(request: AssetRequest | EditRequest) -> int:
    if request.seed is not None:
        return request.seed
    digest = hashlib.sha256(request.model_dump_json().encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big")


def attempt_flow(
    ctx: KitContext,
    request: AssetRequest | EditRequest,
    compile_fn: Callable[[list[str]], CompiledPrompt],
    *,
    base_image: bytes | None = None,
    mask: bytes | None = None,
    max_attempts: int | None = None,
    max_spend_usd: float | None = None,
    reviewer_feedback: Sequence[str] = (),
) -> Flow[Asset]:
    """Generate → check → fix/regenerate until an attempt passes or the budget is spent.

    ``reviewer_feedback`` (a reviewer's request for changes) goes into every attempt's prompt, before the
    repair loop's own feedback from the previous attempt.
    """
    spec = ctx.spec
    policies: dict[str, CheckPolicy] = dict(request.policies)
    require_signer(spec, policies, ctx.signer)
    budget = SpendBudget(
        max_spend_usd if max_spend_usd is not None else spec.repair.max_spend_usd, label="max_spend_usd"
    )
    attempts: list[Attempt] = []
    feedback: list[str] = list(reviewer_feedback)
    seed = _seed(request)
    total_started = time.perf_counter()
    timings: dict[str, float] = {}

    class over_budget(stop_base):
        def __call__(self, retry_state: RetryCallState) -> bool:
            return budget.limit_usd is not None and budget.spent_usd >= budget.limit_usd

    retrying = Retrying(
        stop=stop_after_attempt(max_attempts or spec.repair.max_attempts) | over_budget(),
        retry=retry_if_exception_type(_Regenerate),
        wait=wait_none(),
        reraise=True,
    )
    try:
        for attempt_ctl in retrying:
            with attempt_ctl:
                number = attempt_ctl.retry_state.attempt_number
                t0 = time.perf_counter()
                prompt = compile_fn(feedback)
                timings["compile_s"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                call = RenderCall(
                    prompt=prompt, n=1, seed=seed + number - 1, attempt=number, base_image=base_image, mask=mask
                )
                reservation, worst = None, None
                if budget.limit_usd is not None:  # reserve the call's worst case before sending it
                    worst = worst_case_cost_of(ctx.provider, call)
                    try:
                        reservation = budget.reserve(worst, f"attempt {number}") if worst is not None else None
                    except BudgetExceededError as exc:
                        raise _OverBudget(exc) from None
                result: RenderResult = yield Render(call)
                timings["render_s"] = timings.get("render_s", 0.0) + time.perf_counter() - t0
                if reservation is not None:
                    budget.settle(reservation, result.cost_usd)
                else:
                    budget.spent_usd += result.cost_usd
                if budget.limit_usd is not None and worst is None:
                    result = result.model_copy(update={"notes": [*result.notes, _unpriced_note(ctx.provider)]})
                t0 = time.perf_counter()
                attempt, moderation = yield from _evaluate(ctx, prompt, result, number, policies)
                attempts.append(attempt)
                decision = decide(attempt.report)
                if decision.action == "fix":
                    attempt = yield from _fix(ctx, attempt, decision.fix, policies, moderation)
                    attempts[-1] = attempt
                    decision = decide(attempt.report, already_fixed=True)
                timings["checks_s"] = timings.get("checks_s", 0.0) + time.perf_counter() - t0
                if decision.action == "accept":
                    timings["total_s"] = time.perf_counter() - total_started
                    asset = _asset(attempt, attempts, request, budget.spent_usd, timings)
                    source = result.images[0].data  # the provider's own bytes: their manifest is the ingredient
                    finished: Asset = yield Compute(partial(finish_asset, asset, spec, ctx.signer, source))
                    return finished
                if decision.action == "stop":
                    raise _Stop(decision.reason)
                feedback = [*reviewer_feedback, *feedback_for(attempt.report)]
                raise _Regenerate(decision.reason)
    except (_Regenerate, _Stop) as exc:
        if isinstance(exc, _OverBudget) and not attempts:
            raise exc.error from None  # not one call fits: nothing was sent
        best = best_attempt(attempts)
        why = "stopped" if isinstance(exc, _Stop) else f"no attempt passed after {len(attempts)} attempt(s)"
        if isinstance(exc, _OverBudget):
            why = f"no attempt passed after {len(attempts)} attempt(s), the next one was not sent"
        elif isinstance(exc, _Regenerate) and budget.limit_usd is not None and budget.spent_usd >= budget.limit_usd:
            why += f" (spend budget ${budget.limit_usd:.2f} reached: ${budget.spent_usd:.4f} spent)"
        raise BrandViolationError(
            f"brand checks failed for {spec.name!r}: {why}: {exc}",
            report=best.report if best else None,
            best=best,
            attempts=attempts,
        ) from None
    raise AssertionError("unreachable: tenacity always returns or raises")  # pragma: no cover


def _asset(
    attempt: Attempt,
    attempts: list[Attempt],
    request: AssetRequest | EditRequest,
    spent: float,
    timings: dict[str, float],
) -> Asset:
    record = provenance_record(attempt.prompt, attempt.provider, attempt.model, attempt.number, attempt.report)
    data = embed_provenance(attempt.data, attempt.output_format, record)
    prompt = attempt.prompt
    return Asset(
        data=data,
        output_format=attempt.output_format,
        width=prompt.width,
        height=prompt.height,
        report=attempt.report,
        prompt=prompt,
        request=request,
        attempts=attempts,
        attempt_number=attempt.number,
        provider=attempt.provider,
        model=attempt.model,
        cost_usd=spent,
        fixes=attempt.fixes,
        timings=timings,
    )


def generate_flow(ctx: KitContext, request: AssetRequest, **budget: Any) -> Flow[Asset]:
    """The generate flow for one asset."""
    return attempt_flow(ctx, request, lambda feedback: compile_prompt(ctx.spec, request, feedback), **budget)


def edit_flow(
    ctx: KitContext, request: EditRequest, image: bytes, mask: bytes | None = None, **budget: Any
) -> Flow[Asset]:
    """The brand-safe edit flow: the image to edit travels as reference 1 ('master').

    What the request does not change (copy, legal lines, logo, format) is kept from the image's provenance
    (:func:`brandkit.edit_inherit.inherit_edit`); the asset's ``edit`` report says what was kept and changed.
    """
    inherited = inherit_edit(ctx.spec, request, image)
    merged = inherited.request
    asset = yield from attempt_flow(
        ctx, merged, lambda feedback: compile_edit(ctx.spec, merged, image, feedback), mask=mask, **budget
    )
    box = asset.prompt.layout.logo_box
    report = inherited.report.confirm_logo_box(list(box.as_tuple()) if box is not None else None)
    return asset.model_copy(update={"edit": report})


def read_image_source(source: str | os.PathLike[str] | bytes) -> bytes:
    """Bytes of an image given as a path or bytes."""
    return source if isinstance(source, bytes) else read_bytes(source)


def validate_flow(
    ctx: KitContext, data: bytes, request: AssetRequest | None = None, policies: dict[str, CheckPolicy] | None = None
) -> Flow[ValidationReport]:
    """Validate an existing image: expected copy from ``request``, else from embedded provenance.

    The embedded provenance is foreign data: it is read with bounds and validated
    (:func:`brandkit.provenance.read_provenance_record`), and a record naming another spec or a logo variant the
    spec lacks is unreadable too. The report's ``provenance`` says what was found (``provenance unreadable:
    <reason>``); an unreadable record never stops the pixels from being checked against ``request``'s copy.
    """
    decoded = load_image(data)  # typed error for unreadable input before anything else
    fmt = detect_format(data) or "png"
    variants = [logo.variant for logo in ctx.spec.logos]
    reading: ProvenanceReading = yield Compute(lambda: read_provenance_record(data).against(ctx.spec.name, variants))
    prompt_text = ""
    if request is not None:
        prompt = compile_prompt(ctx.spec, request)
        expectation = expectation_for(prompt)
        expectation.output_format = str(prompt.params.get("output_format", fmt))
        prompt_text = prompt.text
        policies = {**request.policies, **(policies or {})}
    else:
        expectation = expectation_from_record(reading.record, fmt)
    moderation, moderation_error = yield from _moderate(ctx, data, fmt, prompt_text)
    report = yield from _check(ctx, data, expectation, policies or {}, moderation, moderation_error, decoded)
    source = expectation.copy_source if expectation.copy_source in ("request", "provenance") else "none"
    note = ProvenanceNote(status=reading.status, reason=reading.reason, copy_source=source)
    return report.model_copy(update={"provenance": note})


def expectation_from_provenance(data: bytes, fmt: str) -> Expectation:
    """Expectation rebuilt from the provenance embedded in a brandkit image (or a minimal one)."""
    return expectation_from_record(read_provenance_record(data).record, fmt)


def expectation_from_record(record: ProvenanceRecord | None, fmt: str) -> Expectation:
    """Expectation rebuilt from a validated provenance record (a minimal one when there is none)."""
    if record is None:
        return Expectation(output_format=fmt, copy_source="none")
    copy = record.copy_
    return Expectation(
        width=record.width,
        height=record.height,
        output_format=record.output_format or fmt,
        transparent=record.transparent,
        copy_block=CopyBlock(
            headline=copy.headline, subhead=copy.subhead, cta=copy.cta, disclaimers=list(copy.disclaimers)
        ),
        logo_variant=record.logo_variant,
        logo_box=(record.logo_box[0], record.logo_box[1], record.logo_box[2], record.logo_box[3])
        if record.logo_box is not None
        else None,
        photo_box=(record.photo_box[0], record.photo_box[1], record.photo_box[2], record.photo_box[3])
        if record.photo_box is not None
        else None,
        copy_boxes=[(b[0], b[1], b[2], b[3]) for b in record.copy_boxes or []],
        copy_source="provenance",
    )
