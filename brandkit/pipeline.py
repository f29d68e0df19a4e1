"""The pipeline, written once for sync and async — the public face of :mod:`brandkit.flows`.

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

The code lives by concern in :mod:`brandkit.flows`: ``effects.py`` (effects, ``KitContext``, the drivers),
``steps.py`` (expectation, moderation, checks, overlay, evaluate, fix), ``attempt.py`` (``attempt_flow``, the
generate and edit flows), ``validate.py`` (the validate flow, expectations from provenance). This module
re-exports the public names; import them from here.
"""

from __future__ import annotations

from brandkit.flows.attempt import attempt_flow, edit_flow, generate_flow
from brandkit.flows.effects import (
    Compute,
    Effect,
    Flow,
    Gather,
    KitContext,
    Moderate,
    Outcome,
    Render,
    run_async,
    run_sync,
)
from brandkit.flows.steps import expectation_for
from brandkit.flows.validate import (
    expectation_from_provenance,
    expectation_from_record,
    read_image_source,
    validate_flow,
)

__all__ = [
    "Compute",
    "Effect",
    "Flow",
    "Gather",
    "KitContext",
    "Moderate",
    "Outcome",
    "Render",
    "attempt_flow",
    "edit_flow",
    "expectation_for",
    "expectation_from_provenance",
    "expectation_from_record",
    "generate_flow",
    "read_image_source",
    "run_async",
    "run_sync",
    "validate_flow",
]
