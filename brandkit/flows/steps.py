"""The shared steps of one image: expectation, moderation, checks, overlay, evaluation of a provider image, fix.

Each step that needs the outside world is itself a small flow (it yields effects); the attempt and validate flows
(:mod:`.attempt`, :mod:`.validate`) compose them with ``yield from``.
"""

from __future__ import annotations

import time
from typing import Literal

from PIL import Image

from brandkit.asset_signing import on_return
from brandkit.checks.base import CheckContext, Expectation, ModerationScores, run_checks
from brandkit.compose import draw_copy, draw_logo, zone_color
from brandkit.errors import ImageInputError, ProviderError, ProviderResponseError
from brandkit.flows.effects import Compute, Flow, KitContext, Moderate
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
        photo_box=prompt.layout.hero_box.as_tuple() if prompt.layout.hero_box is not None else (0, 0, 0, 0),
        copy_boxes=[b.as_tuple() for b in (prompt.layout.copy_box, prompt.layout.disclaimer_box) if b is not None],
        copy_font_px=list(composed.font_px) if composed is not None else [],
        cta_box=composed.cta_box if composed is not None else None,
        background_tone=prompt.background_tone,
        copy_source=copy_source,
    )


def moderate_step(
    ctx: KitContext, data: bytes, fmt: str, text: str, decoded: Image.Image | None = None
) -> Flow[tuple[ModerationScores | None, str | None]]:
    if ctx.moderator is None:
        return None, "no moderation service or local classifier configured"
    try:
        scores = yield Moderate(data, _MIME.get(fmt, "image/png"), text, decoded)
    except ProviderError as exc:
        return None, f"moderation service failed: {exc}"
    return scores, None


def check_step(
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


def overlay(
    ctx: KitContext, prompt: CompiledPrompt, data: bytes, fmt: str, zones: frozenset[str], repaint: bool
) -> tuple[bytes, ComposedCopy | None]:
    """Composite exact copy and/or the real logo into the layout's zones; returns the re-encoded image and, when
    the copy was drawn, what was set where (font sizes, CTA pill)."""
    spec = ctx.spec
    image = load_image(data)
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    canvas = image.convert("RGB")
    layout = prompt.layout
    composed = None
    if "text" in zones:
        color = zone_color(canvas, spec, layout.copy_box) if repaint else None
        composed = draw_copy(canvas, spec, layout, prompt.copy_block, repaint=color).composed(layout)
    if "logo" in zones and prompt.logo_variant and layout.logo_clear_box is not None:
        variant = spec.logo(prompt.logo_variant)
        color = zone_color(canvas, spec, layout.logo_clear_box, for_logo=variant) if repaint else None
        draw_logo(canvas, spec, layout, variant, repaint=color)
    out = canvas
    if alpha is not None:
        out = canvas.convert("RGBA")
        out.putalpha(alpha)
    return encode_image(out, fmt, prompt.params.get("output_compression")), composed


def evaluate_step(
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

    def prepare() -> tuple[bytes, Image.Image | None, ComposedCopy | None]:
        """The image to check, and its decoded form when the bytes are the provider's own and no moderation
        request comes between: a decoded image is ~3 MB per megapixel, not to be held across a request (a
        run has many variants waiting there at once). Before moderation, the image is only verified (no
        pixels decoded); the checks decode it after."""
        try:
            if zones:  # re-encoded: the checks decode the bytes as they will be delivered
                overlaid, drawn = overlay(ctx, prompt, rendered.data, fmt, zones, repaint=False)
                return overlaid, None, drawn
            if ctx.moderator is not None and not isinstance(ctx.moderator, ModeratesDecoded):  # a remote request
                verify_image(rendered.data)
                return rendered.data, None, None
            return rendered.data, load_image(rendered.data), None
        except ImageInputError as exc:
            raise undecodable(exc) from exc

    data, decoded, composed = yield Compute(prepare)
    moderation, moderation_error = yield from moderate_step(ctx, data, fmt, prompt.text, decoded)
    try:
        expectation = expectation_for(prompt, credentials_on_return=on_return(ctx.signer), composed=composed)
        report = yield from check_step(ctx, data, expectation, policies, moderation, moderation_error, decoded)
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
    return attempt, (moderation, moderation_error)


def fix_step(
    ctx: KitContext,
    attempt: Attempt,
    zones: frozenset[str],
    policies: dict[str, CheckPolicy],
    moderation: tuple[ModerationScores | None, str | None],
) -> Flow[Attempt]:
    prompt = attempt.prompt
    fixed: tuple[bytes, ComposedCopy | None] = yield Compute(
        lambda: overlay(ctx, prompt, attempt.data, attempt.output_format, zones, repaint=True)
    )
    data, drawn = fixed
    composed = drawn if drawn is not None else attempt.composed  # a logo-only fix keeps the copy as it was
    expectation = expectation_for(prompt, credentials_on_return=on_return(ctx.signer), composed=composed)
    report = yield from check_step(ctx, data, expectation, policies, *moderation)
    return attempt.model_copy(
        update={
            "data": data,
            "report": report,
            "report_before_fix": attempt.report,
            "composed": composed,
            "fixes": [*attempt.fixes, *(f"fix:{z}" for z in sorted(zones))],
        }
    )


__all__ = ["check_step", "evaluate_step", "expectation_for", "fix_step", "moderate_step", "overlay"]
