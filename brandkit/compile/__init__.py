"""Compile stage: brand spec + request → :class:`~brandkit.models.CompiledPrompt`.

Deterministic. The prompt follows OpenAI's prompting guidance for GPT image
models: purpose first, then scene, subject and details, then the brand
constraints, in short labelled sections; exact copy quoted verbatim and said
to appear once; palette by name and hex; forbidden imagery as explicit
exclusions; each reference image named by index and role. The user's brief
is data: it is fenced, stripped of fence markers, and the brand rules after
it say they take precedence. Every string of the request is screened first
(:func:`brandkit.screening.screen_request`): forbidden content in any field raises
:class:`~brandkit.ForbiddenContentError` naming it, before anything is sent. Copy, the purpose,
reference descriptions and ``keep`` lines are data too: one line each (line breaks and control
characters are refused) and written with :func:`brandkit.screening.quote`, whose escaping the prompt
explains, so no value can end its quotation or start a prompt line.

The stage is a package, by concern: ``prompt.py`` (:func:`compile_prompt` and the prompt's labelled sections),
``edit.py`` (:func:`compile_edit`), ``design.py`` (what both decide alike: copy block, background, logo
variant, layout — the one module that uses compose's layout helpers), ``sections.py`` (the fenced brief, the copy
block, palette lines, the re-theme words), ``params.py`` (the API parameters, the spec's formats),
``references.py`` (reference images, each checked and decoded once per :class:`ReferenceImageCache` — the
running kit's, or one the caller passes).
Import the public names from ``brandkit.compile``.
"""

from __future__ import annotations

from brandkit.compile.edit import DEFAULT_KEEP, compile_edit
from brandkit.compile.params import detect_format_name
from brandkit.compile.prompt import compile_prompt
from brandkit.compile.references import ReferenceImageCache
from brandkit.compile.sections import FENCE_CLOSE, FENCE_OPEN, MAX_PROMPT_CHARS, recolour_instruction
from brandkit.screening import forbidden_matcher as forbidden_matcher
from brandkit.screening import screen_text as screen_text

__all__ = [
    "DEFAULT_KEEP",
    "FENCE_CLOSE",
    "FENCE_OPEN",
    "MAX_PROMPT_CHARS",
    "ReferenceImageCache",
    "compile_edit",
    "compile_prompt",
    "detect_format_name",
    "forbidden_matcher",
    "recolour_instruction",
    "screen_text",
]
