"""The validate flow (an existing image against the spec) and the expectation rebuilt from its provenance."""

from __future__ import annotations

import os
from dataclasses import replace

from brandkit.checks.base import Expectation, checked_policies
from brandkit.compile import compile_prompt
from brandkit.errors import ImageInputError
from brandkit.flows.effects import Compute, Flow, KitContext
from brandkit.flows.steps import expectation_for, moderated_check_step
from brandkit.imageio import MAX_PIXELS, REDUCED_PIXELS, detect_format, load_image_reduced, read_bytes
from brandkit.models import AssetRequest, CopyBlock, ProvenanceNote, ValidationReport
from brandkit.provenance import ProvenanceReading, ProvenanceRecord, follows_layout, read_provenance_record
from brandkit.spec.models import CheckPolicy


def read_image_source(source: str | os.PathLike[str] | bytes) -> bytes:
    """Bytes of an image given as a path or bytes (anything else: :class:`~brandkit.ImageInputError` naming its
    type, not a ``TypeError`` from deep inside)."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, bytearray | memoryview):
        return bytes(source)
    if not isinstance(source, str | os.PathLike):
        raise ImageInputError(
            f"image: expected a file path or the image's bytes, got {type(source).__name__}",
            source=type(source).__name__,
        )
    return read_bytes(source)


def validate_flow(
    ctx: KitContext, data: bytes, request: AssetRequest | None = None, policies: dict[str, CheckPolicy] | None = None
) -> Flow[ValidationReport]:
    """Validate an existing image: expected copy from ``request``, else from embedded provenance; in the palette
    mode its provenance names when the kit's spec is in its default colours (a mode the kit's spec is in wins).

    The embedded provenance is foreign data: it is read with bounds and validated
    (:func:`brandkit.provenance.read_provenance_record`), and a record naming another spec or a logo variant the
    spec lacks is unreadable too. The report's ``provenance`` says what was found (``provenance unreadable:
    <reason>``); an unreadable record never stops the pixels from being checked against ``request``'s copy.
    ``policies`` override the request's; a check name the kit does not run or a value that is not a policy is a
    :class:`~brandkit.RequestError` (never ignored).
    """
    # a misspelt check or policy: RequestError before anything is decoded, never ignored
    chosen = checked_policies({**(request.policies if request is not None else {}), **(policies or {})}, ctx.checks)
    # typed error for unreadable input before anything else; a file larger than the checks read is read reduced
    decoded, source_size = load_image_reduced(data)
    fmt = detect_format(data) or "png"
    spec = ctx.spec
    variants = [logo.variant for logo in spec.logos]
    reading: ProvenanceReading = yield Compute(
        lambda: read_provenance_record(data).against(spec.name, variants, spec.palette.modes)
    )
    made_in = reading.record.spec_mode if reading.record is not None else None
    if request is not None and request.palette_mode is not None:  # the mode asked for, whatever the record says
        ctx = ctx.in_mode(request.palette_mode)
    elif spec.mode is None and made_in is not None:  # an image made in a palette mode is checked in it
        ctx = replace(ctx, spec=spec.for_mode(made_in))
    prompt_text = ""
    scaled: str | None = None
    if request is not None:
        prompt = compile_prompt(ctx.spec, request)
        if (prompt.width, prompt.height) != decoded.size:  # the checks scale the layout to the image: said
            scaled = (
                f"the copy and logo expected in the {request.format} layout ({prompt.width}x{prompt.height}) scaled "
                f"to the image's {decoded.width}x{decoded.height}"
            )
        expectation = expectation_for(prompt)
        expectation.output_format = str(prompt.params.get("output_format", fmt))
        if not follows_layout(reading.record):  # a file brandkit did not lay out: its photograph is found, not assumed
            expectation.photo_box = None
        prompt_text = prompt.text
    else:
        expectation = expectation_from_record(reading.record, fmt)
    expectation.subject = "image"  # hints about a file: "the image reads …", not "the last attempt rendered …"
    expectation.source_size = source_size
    report, _ = yield from moderated_check_step(ctx, data, fmt, prompt_text, expectation, chosen, decoded)
    source = expectation.copy_source if expectation.copy_source in ("request", "provenance") else "none"
    reduced = None
    if source_size is not None:
        reduced = (
            f"the file's {source_size[0]}x{source_size[1]} pixels read reduced to {decoded.width}x{decoded.height} "
            f"(a file of more than {MAX_PIXELS:,} pixels is read at most at {REDUCED_PIXELS:,})"
        )
    note = ProvenanceNote(
        status=reading.status, reason=reading.reason, copy_source=source, layout=scaled, reduced=reduced
    )
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
        copy_font_px=list(record.copy_font_px or []),
        cta_box=(record.cta_box[0], record.cta_box[1], record.cta_box[2], record.cta_box[3])
        if record.cta_box is not None
        else None,
        background_tone=record.background_tone,
        copy_source="provenance",
    )


__all__ = ["expectation_from_provenance", "expectation_from_record", "read_image_source", "validate_flow"]
