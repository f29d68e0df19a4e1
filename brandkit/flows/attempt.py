"""The repair loop and the generate and edit flows on top of it.

The repair loop is a tenacity ``Retrying`` over attempts: a failed report raises ``_Regenerate`` inside the
attempt, tenacity decides whether another attempt is allowed (attempt count and spend budget), and the feedback
of the failed attempt goes into the next compiled prompt.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_none
from tenacity.stop import stop_base

from brandkit.asset import Asset, embed_provenance, provenance_record
from brandkit.asset_signing import finish_asset, require_signer
from brandkit.budget import BudgetExceededError, SpendBudget
from brandkit.checks.base import checked_policies
from brandkit.compile import compile_edit, compile_prompt
from brandkit.edit_inherit import EditReport, inherit_edit
from brandkit.edit_input import prepare_edit
from brandkit.edit_mask import check_mask
from brandkit.errors import BrandViolationError, RequestError
from brandkit.flows.effects import Compute, Flow, KitContext, Render
from brandkit.flows.steps import evaluate_step, fix_step
from brandkit.models import AssetRequest, Attempt, CompiledPrompt, EditRequest, RenderCall, RenderResult
from brandkit.provider.base import ImageProvider, worst_case_cost_of
from brandkit.repair import best_attempt, decide, feedback_for
from brandkit.spec.models import CheckPolicy


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
    edited_image: bytes | None = None,
) -> Flow[Asset]:
    """Generate → check → fix/regenerate until an attempt passes or the budget is spent.

    ``reviewer_feedback`` (a reviewer's request for changes) goes into every attempt's prompt, before the
    repair loop's own feedback from the previous attempt. ``edited_image``: the asset this one edits, as given
    (an edit, a conversation's next turn) — the signed asset's Content Credentials name it as the parent.
    """
    spec = ctx.spec
    policies: dict[str, CheckPolicy] = checked_policies(request.policies, ctx.checks)
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
                attempt, moderation = yield from evaluate_step(ctx, prompt, result, number, policies)
                attempts.append(attempt)
                decision = decide(attempt.report)
                if decision.action == "fix":
                    attempt = yield from fix_step(ctx, attempt, decision.fix, policies, moderation)
                    attempts[-1] = attempt
                    decision = decide(attempt.report, already_fixed=True)
                timings["checks_s"] = timings.get("checks_s", 0.0) + time.perf_counter() - t0
                if decision.action == "accept":
                    timings["total_s"] = time.perf_counter() - total_started
                    asset = _asset(attempt, attempts, request, budget.spent_usd, timings)
                    source = result.images[0].data  # the provider's own bytes: their manifest is the ingredient
                    finish = partial(finish_asset, asset, spec, ctx.signer, source, edited_image)
                    finished: Asset = yield Compute(finish)
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
        timings["total_s"] = time.perf_counter() - total_started
        raise BrandViolationError(
            f"brand checks failed for {spec.name!r}: {why}: {exc}",
            report=best.report if best else None,
            best=best,
            attempts=attempts,
            asset=_asset(best, attempts, request, budget.spent_usd, timings) if best else None,
        ) from None
    raise AssertionError("unreachable: tenacity always returns or raises")  # pragma: no cover


def _asset(
    attempt: Attempt,
    attempts: list[Attempt],
    request: AssetRequest | EditRequest,
    spent: float,
    timings: dict[str, float],
) -> Asset:
    record = provenance_record(
        attempt.prompt, attempt.provider, attempt.model, attempt.number, attempt.report, attempt.composed, attempt.photo
    )
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
        composed=attempt.composed,
    )


def generate_flow(ctx: KitContext, request: AssetRequest, **budget: Any) -> Flow[Asset]:
    """The generate flow for one asset, in the request's palette mode (``palette_mode``) when it names one."""
    ctx = ctx.in_mode(request.palette_mode)
    return attempt_flow(ctx, request, lambda feedback: compile_prompt(ctx.spec, request, feedback), **budget)


def edit_flow(
    ctx: KitContext, request: EditRequest, image: bytes, mask: bytes | None = None, **budget: Any
) -> Flow[Asset]:
    """The brand-safe edit flow: the image to edit travels as reference 1 ('master').

    What the request does not change (copy, legal lines, logo, format) is kept from the image's provenance
    (:func:`brandkit.edit_inherit.inherit_edit`); the asset's ``edit`` report says what was kept and changed.
    A ``mask`` (PNG with alpha, the image's size; alpha 0 where it may change) goes to every attempt; one that does
    not fit is refused here, before anything is rendered (:func:`brandkit.edit_mask.check_mask`).
    """
    given = image  # as given, its Content Credentials included: the signed edit's parent ingredient
    # a phone photo turned by its EXIF orientation: sent as it is shown (and masked); a camera master over the
    # pixels an edit takes: reduced, its mask with it
    prepared = prepare_edit(image, mask)
    image, mask = prepared.image, prepared.mask
    if mask is not None:
        check_mask(mask, image)
    inherited = inherit_edit(ctx.spec, request, image)
    if prepared.note is not None:
        inherited.report.notes.append(prepared.note)
    merged = inherited.request
    if mask is not None and inherited.report.retheme:  # every brand colour changes: a mask would keep most of them
        raise RequestError(
            "mask: a re-theme into another palette mode changes every brand colour, so it cannot be masked; edit "
            "without a mask, or keep the image's mode (palette_mode)",
            field="mask",
        )
    if inherited.spec is not ctx.spec:  # an asset made in a palette mode is edited and checked in it
        ctx = replace(ctx, spec=inherited.spec)
    spec = ctx.spec
    try:
        asset = yield from attempt_flow(
            ctx,
            merged,
            lambda feedback: compile_edit(
                spec,
                merged,
                image,
                feedback,
                replaced=inherited.report.replaced_copy,
                own_composition=inherited.report.own_composition,
                retheme=inherited.report.retheme,
            ),
            mask=mask,
            edited_image=given,
            **budget,
        )
    except BrandViolationError as exc:  # the rejected edit says what it kept and changed, as a passing one does
        if isinstance(exc.asset, Asset):
            exc.asset = _edited(exc.asset, inherited.report)
        raise
    return _edited(asset, inherited.report)


def _edited(asset: Asset, report: EditReport) -> Asset:
    """``asset`` with its edit report, the logo box and variant confirmed from the layout the edit drew."""
    box = asset.prompt.layout.logo_box
    confirmed = report.confirm_layout(list(box.as_tuple()) if box is not None else None, asset.prompt.logo_variant)
    return asset.model_copy(update={"edit": confirmed})


__all__ = ["attempt_flow", "edit_flow", "generate_flow"]
