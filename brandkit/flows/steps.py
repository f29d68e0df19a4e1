"""The shared steps of one image: expectation, moderation, checks, overlay, evaluation of a provider image, fix.

Each step that needs the outside world is itself a small flow (it yields effects); the attempt and validate flows
(:mod:`.attempt`, :mod:`.validate`) compose them with ``yield from``.
"""

from __future__ import annotations

import time
from typing import Literal

from PIL import Image

from brandkit.asset_signing import on_return
from brandkit.checks.base import (
    CheckContext,
    Expectation,
    ModerationScores,
    combine_reports,
    run_checks,
    split_checks,
)
from brandkit.compose import TransparentCanvas, draw_copy, draw_logo, zone_color
from brandkit.errors import ImageInputError, ProviderError, ProviderResponseError
from brandkit.flows.effects import Compute, Flow, Gather, KitContext, Moderate, Outcome
from brandkit.imageio import encode_image, load_image, verify_image
from brandkit.models import Attempt, CompiledPrompt, ComposedCopy, RenderResult, ValidationReport
from brandkit.provider.decoded_moderation import ModeratesDecoded
from brandkit.spec.models import CheckPolicy

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def expectation_for(
    prompt: CompiledPrompt,
    copy_source: str = "request",
    credentials_on_return: Literal["signed", "unsigned"] | None = None,
    composed: ComposedCopy | None = None,
) -> Expectation:
    """What the checks expect of an image made for ``prompt`` (``credentials_on_return``: generation only;
    ``composed``: the copy brandkit drew itself — its font sizes and CTA pill guide the OCR)."""
    return Expectation(
        credentials_on_return=credentials_on_return,
        width=prompt.width,
        height=prompt.height,
        output_format=str(prompt.params.get("output_format", "png")),
        transparent=prompt.params.get("background") == "transparent",
        copy_block=prompt.copy_block,
        logo_variant=prompt.logo_variant,
        logo_box=prompt.layout.logo_box.as_tuple() if prompt.layout.logo_box is not None else None,
        photo_box=prompt.photo_area,
        copy_boxes=[b.as_tuple() for b in (prompt.layout.copy_box, prompt.layout.disclaimer_box) if b is not None],
        copy_font_px=list(composed.font_px) if composed is not None else [],
        cta_box=composed.cta_box if composed is not None else None,
        background_tone=prompt.background_tone,
        copy_source=copy_source,
        replaced_copy=dict(prompt.replaced_copy),
    )


Moderation = tuple[ModerationScores | None, str | None]
"""A moderation outcome: the scores, or ``None`` and why there are none."""

_NO_MODERATOR: Moderation = (None, "no moderation service or local classifier configured")


def _moderation_of(outcome: Outcome) -> Moderation:
    """The scores a gathered ``Moderate`` gave; a provider's failure is a reason (the moderation check reports
    ``not_checked``), any other error is raised."""
    if isinstance(outcome.error, ProviderError):
        return None, f"moderation service failed: {outcome.error}"
    scores: ModerationScores = outcome.get()
    return scores, None


def _context(
    ctx: KitContext,
    image: Image.Image | None,
    data: bytes,
    expectation: Expectation,
    moderation: Moderation = (None, None),
) -> CheckContext:
    return CheckContext(
        spec=ctx.spec,
        image=image,
        data=data,
        expectation=expectation,
        resources=ctx.resources,
        moderation=moderation[0],
        moderation_error=moderation[1],
    )


def check_step(
    ctx: KitContext,
    image_data: bytes,
    expectation: Expectation,
    policies: dict[str, CheckPolicy],
    moderation: Moderation,
    decoded: Image.Image | None = None,
) -> Flow[ValidationReport]:
    """Run the checks on ``image_data`` with a moderation outcome in hand (a fix reuses its attempt's);
    ``decoded`` is its already decoded image, when the caller has it."""

    def work() -> ValidationReport:
        image = decoded if decoded is not None else load_image(image_data)
        return run_checks(_context(ctx, image, image_data, expectation, moderation), ctx.checks, policies)

    report: ValidationReport = yield Compute(work)
    return report


def moderated_check_step(
    ctx: KitContext,
    data: bytes,
    fmt: str,
    text: str,
    expectation: Expectation,
    policies: dict[str, CheckPolicy],
    decoded: Image.Image | None = None,
) -> Flow[tuple[ValidationReport, Moderation]]:
    """Moderate ``data`` (with the prompt ``text``) and run the checks; returns the report and the moderation
    outcome (which a deterministic fix reuses).

    The checks that do not read the scores (:func:`~brandkit.checks.base.split_checks`: all but the moderation
    check, for the built-in ones) run while the moderation request is out — one :class:`Gather` — and those that
    do once it is back, with a context of their own that holds no pixels unless a check reads them (nothing
    decoded is kept across a remote request). ``decoded``: the decoded image, when the caller has it (handed to
    a moderator that takes it, and to the checks). An image the checks cannot decode raises
    :class:`~brandkit.errors.ImageInputError`; a moderation provider's failure is the moderation outcome's reason.
    """
    if ctx.moderator is None:
        alone = yield from check_step(ctx, data, expectation, policies, _NO_MODERATOR, decoded)
        return alone, _NO_MODERATOR
    before, after = split_checks(ctx.checks)

    def first() -> ValidationReport:
        image = decoded if decoded is not None else load_image(data)
        return run_checks(_context(ctx, image, data, expectation), before, policies)

    moderate = Moderate(data, _MIME.get(fmt, "image/png"), text, decoded)
    outcomes: tuple[Outcome, Outcome] = yield Gather((moderate, Compute(first)))
    moderation = _moderation_of(outcomes[0])
    early: ValidationReport = outcomes[1].get()

    def second() -> ValidationReport:
        late = run_checks(_context(ctx, decoded, data, expectation, moderation), after, policies)
        return combine_reports(ctx.checks, early, late)

    report: ValidationReport = yield Compute(second)
    return report, moderation


def overlay(
    ctx: KitContext, prompt: CompiledPrompt, data: bytes, fmt: str, zones: frozenset[str], repaint: bool
) -> tuple[bytes, ComposedCopy | None]:
    """Composite exact copy and/or the real logo into the layout's zones; returns the re-encoded image and, when
    the copy was drawn, what was set where (font sizes, CTA pill)."""
    spec = ctx.spec
    image = load_image(data)
    transparent = TransparentCanvas(image, prompt.background_hex) if image.mode == "RGBA" else None
    canvas = image.convert("RGB") if transparent is None else transparent.canvas
    layout = prompt.layout
    composed = None
    if "text" in zones:
        color = zone_color(canvas, spec, layout.copy_box) if repaint else None
        composed = draw_copy(canvas, spec, layout, prompt.copy_block, repaint=color).composed(layout)
    if "logo" in zones and prompt.logo_variant and layout.logo_clear_box is not None:
        variant = spec.logo(prompt.logo_variant)
        color = zone_color(canvas, spec, layout.logo_clear_box, for_logo=variant) if repaint else None
        draw_logo(canvas, spec, layout, variant, repaint=color)
    out = canvas if transparent is None else transparent.result()  # what was drawn is opaque
    return encode_image(out, fmt, prompt.params.get("output_compression")), composed


def evaluate_step(
    ctx: KitContext, prompt: CompiledPrompt, result: RenderResult, number: int, policies: dict[str, CheckPolicy]
) -> Flow[tuple[Attempt, Moderation]]:
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

    def prepare() -> tuple[bytes, Image.Image | None, ComposedCopy | None]:
        """The image to check (the provider's bytes, or re-encoded with the overlays: the checks see the bytes
        as they will be delivered), and its decoded form unless a remote moderation request is to come: a decoded
        image is ~3 MB per megapixel, not to be held across a request (a run has many variants waiting there at
        once) — the checks that run while it is out decode their own and drop it. Then the provider's bytes are
        only verified here (no pixels decoded)."""
        try:
            data, drawn = (rendered.data, None)
            if zones:
                data, drawn = overlay(ctx, prompt, rendered.data, fmt, zones, repaint=False)
            if ctx.moderator is not None and not isinstance(ctx.moderator, ModeratesDecoded):  # a remote request
                if not zones:
                    verify_image(data)
                return data, None, drawn
            return data, load_image(data), drawn
        except ImageInputError as exc:
            raise undecodable(exc) from exc

    data, decoded, composed = yield Compute(prepare)
    expectation = expectation_for(prompt, credentials_on_return=on_return(ctx.signer), composed=composed)
    try:
        report, moderation = yield from moderated_check_step(
            ctx, data, fmt, prompt.text, expectation, policies, decoded
        )
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
        composed=composed,
    )
    return attempt, moderation


def fix_step(
    ctx: KitContext,
    attempt: Attempt,
    zones: frozenset[str],
    policies: dict[str, CheckPolicy],
    moderation: Moderation,
) -> Flow[Attempt]:
    prompt = attempt.prompt
    fixed: tuple[bytes, ComposedCopy | None] = yield Compute(
        lambda: overlay(ctx, prompt, attempt.data, attempt.output_format, zones, repaint=True)
    )
    data, drawn = fixed
    composed = drawn if drawn is not None else attempt.composed  # a logo-only fix keeps the copy as it was
    expectation = expectation_for(prompt, credentials_on_return=on_return(ctx.signer), composed=composed)
    report = yield from check_step(ctx, data, expectation, policies, moderation)
    return attempt.model_copy(
        update={
            "data": data,
            "report": report,
            "report_before_fix": attempt.report,
            "composed": composed,
            "fixes": [*attempt.fixes, *(f"fix:{z}" for z in sorted(zones))],
        }
    )


__all__ = [
    "Moderation",
    "check_step",
    "evaluate_step",
    "expectation_for",
    "fix_step",
    "moderated_check_step",
    "overlay",
]
