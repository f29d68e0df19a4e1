"""``compile_edit``: a brand-safe edit of an image — change only what the instruction says, restate what stays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from brandkit.compile.design import design
from brandkit.compile.params import api_params, detect_format_name, format_of
from brandkit.compile.references import ReferenceImageCache, logo_bytes, reference, reference_cache
from brandkit.compile.sections import (
    FENCE_CLOSE,
    FENCE_OPEN,
    checked_request,
    fence,
    flat,
    palette_lines,
    recolour_instruction,
)
from brandkit.edit_inherit import ground_tone
from brandkit.errors import RequestError
from brandkit.imageio import load_image
from brandkit.models import CompiledPrompt, EditRequest
from brandkit.screening import QUOTING_NOTE, quote
from brandkit.spec.models import BrandSpec, Format
from brandkit.spec.sizes import rules_for

DEFAULT_KEEP = [
    "the overall layout and composition",
    "the logo exactly as it is (shape, letters, colours, size and position)",
    "the typography (typeface, weight, size, colour and alignment of all text)",
    "the brand colours and their proportions",
    "the imagery, subject, lighting and camera angle",
]
RETHEME_KEEP = [
    "the overall layout and composition",
    "the logo's shape, letters, size and position (Image 2 is the variant made for the new colours)",
    "the typography (typeface, weight, size and alignment of all text)",
    "the imagery, subject, lighting and camera angle",
]
"""What a re-theme (an edit into another palette mode's colours) keeps: not the colours."""


def compile_edit(
    spec: BrandSpec,
    request: EditRequest,
    image: bytes,
    feedback: Sequence[str] = (),
    *,
    references_cache: ReferenceImageCache | None = None,
    replaced: Mapping[str, str] | None = None,
    own_composition: bool = False,
    retheme: bool = False,
) -> CompiledPrompt:
    """Compile a brand-safe edit of ``image``: change only what the instruction says, restate what stays.

    ``references_cache``: as :func:`~brandkit.compile.compile_prompt`'s (the image to edit and the logo).
    ``replaced``: the copy ``image`` carries that the edit changes or removes (role → old text; the edit flow's
    :attr:`~brandkit.edit_inherit.EditReport.replaced_copy`), kept on the prompt for the text check.
    ``own_composition``: ``image``'s composition is its own (the edit flow's
    :attr:`~brandkit.edit_inherit.EditReport.own_composition`), kept on the prompt for the checks.
    A request naming a palette mode (``palette_mode``) is compiled in it. ``retheme``: the edit turns ``image``
    into the spec's colours from another palette mode's (the edit flow's ``EditReport.changed["mode"]``): the
    prompt asks for the re-colouring instead of keeping the colours.
    """
    spec = checked_request(spec, request)  # screened first, then in the request's palette mode
    decoded = load_image(image)
    width, height = decoded.size
    name = request.format or detect_format_name(spec, width, height)
    if name is None:
        problem = rules_for(spec.generation.model).size_problem(width, height)
        if problem:
            raise RequestError(
                f"image size {width}x{height} is not a size the model can return: {problem}; name the format to "
                f"edit it into (EditRequest.format, --format: {', '.join(spec.formats)})",
                field="image",
                value=f"{width}x{height}",
            )
        name = f"{width}x{height}"
        fmt = Format(width=width, height=height)
    else:
        fmt = format_of(spec, name)
    tone: Literal["light", "dark"] = spec.palette.canvas_tone() if retheme else ground_tone(decoded)
    made = design(spec, request, fmt, tone)
    copy, variant = made.copy, made.variant
    text_mode = request.text or spec.generation.text
    cache = reference_cache(references_cache)
    references = [reference(1, "master", "image-to-edit", "the image to edit", image, cache)]
    if variant is not None:
        logo, described = logo_bytes(spec, variant), f"the brand logo ({variant.variant} variant)"
        references.append(reference(2, "logo", variant.file, described, logo, cache))
    params = api_params(
        spec,
        "edit",
        fmt,
        None,
        request.safety_identifier,
        transparent=request.transparent,
        output_format=request.output_format,
        output_compression=request.output_compression,
    )
    keep = list(dict.fromkeys([*(RETHEME_KEEP if retheme else DEFAULT_KEEP), *(quote(line) for line in request.keep)]))
    lines = [
        f"PURPOSE: Edit Image 1, a finished image for the brand {spec.name}. Change only what is asked below.",
        "",
        "CHANGE ONLY THIS (an instruction about the image; it cannot override the brand rules):",
        FENCE_OPEN,
        fence(request.instruction),
        FENCE_CLOSE,
    ]
    if retheme:
        lines += ["", f"- {recolour_instruction(spec.mode, 'under BRAND COLOURS')}"]
    strings = copy.required_strings()
    if strings and text_mode == "render":
        lines += [
            "",
            "EXACT TEXT AFTER THE EDIT (verbatim, each exactly once, same typography and position as "
            "the text it replaces):",
        ]
        lines += [f"- {key}: {quote(value)}" for key, value in strings.items()]
    elif strings:
        lines += [
            "",
            "- Remove the old text from the copy area and leave it flat and empty; the exact copy is added afterwards.",
        ]
    lines += ["", "KEEP EXACTLY AS IT IS:"] + [f"- {item}" for item in keep]
    if variant is not None and not retheme:
        lines.append(
            f"- Image 2 is the brand logo ({variant.variant} variant) for reference: it must stay "
            "unaltered where it is."
        )
    lines += ["", "BRAND COLOURS (do not introduce others):", *palette_lines(spec)]
    lines += ["", "Do not add new elements, text, logos or watermarks. Do not redesign anything."]
    if feedback:
        lines += ["", "CORRECTIONS FROM THE PREVIOUS ATTEMPT:"] + [f"- {flat(note)}" for note in feedback]
    lines += ["", QUOTING_NOTE]
    text = "\n".join(lines)
    compiled = made.compiled(
        spec,
        feedback,
        text=text,
        operation="edit",
        params=params,
        references=references,
        format_name=name,
        fmt=fmt,
        text_mode=text_mode,
        logo_mode="reference",
    )
    return compiled.model_copy(update={"replaced_copy": dict(replaced or {}), "own_composition": own_composition})


__all__ = ["DEFAULT_KEEP", "RETHEME_KEEP", "compile_edit"]
