"""Variant plans: one brief × headlines × formats × locales, written once, expanded into many requests.

A plan is a YAML (or JSON) file validated by :class:`VariantPlan` (JSON Schema:
``schemas/variant-plan.schema.json``, regenerate with ``python -m brandkit.variants.plan``)::

    name: spring-launch
    spec: ../brand_specs/northwind        # or `specs:` — a list of {id, path, base, axes, locales, entries}
    base: {brief: "A ceramic cup on an oak table", cta: "Order ahead"}
    axes:                                 # expanded as a matrix, in this order
      headline: ["Slow mornings, bright roasts", "Roasted this week"]
      format: [square, landscape]
      locale: [en, de]
      audience:                           # a free axis: each value is {id, set: {request fields}}
        - {id: commuters, set: {brief: "A cup to go at a tram stop"}}
    locales:                              # the copy table: a string replaces, a mapping translates
      de: {cta: "Jetzt vorbestellen", headline: {"Slow mornings, bright roasts": "Langsame Morgen"}}
    entries:                              # explicit variants besides the matrix
      - {name: hero-banner, set: {format: banner, headline: "Roasted this week"}}

:func:`load_plan` reads and validates a plan (errors name the file, the field path and
the bad value, like :func:`brandkit.load_spec`); :func:`expand_plan` loads the specs and
returns every :class:`Variant` with its stable key: sha256 over the spec fingerprint and
the canonical request JSON (reference and master images by content hash), so a key
names exactly one paid generation, wherever the plan and the images live.

Every image a plan names — ``references[].path`` at any layer (``base``, ``specs[i].base``, axis values,
entries), the values of a ``reference`` axis and ``edit.master`` — must resolve (after ``..``, ``~`` and
symlinks) to a regular file inside the plan file's folder, or inside a folder the caller allows explicitly
(``load_plan(..., allow_paths=[...])``, ``expand_plan(..., allow_paths=[...])``, CLI ``--allow-path DIR``);
anything else is a :class:`PlanError` naming the field and the path, before any spec is compiled or any
request sent (:func:`brandkit.paths.confined_file`, the rule spec assets follow too). ``spec``/``specs[].path``
name brand specs, not files to upload: they may live anywhere, and each spec's own assets are confined to
its folder by :func:`brandkit.load_spec`.

Layout: :mod:`~brandkit.variants.plan_models` (the plan's models and loading), :mod:`~brandkit.variants.expand`
(expansion and :func:`variant_count`), :mod:`~brandkit.variants.keys` (stable keys); this module re-exports
them (the public import path) and writes the plan's JSON Schema when run.
"""

from __future__ import annotations

from pathlib import Path

from brandkit.variants.expand import expand_plan, variant_count
from brandkit.variants.keys import canonical_request, variant_key
from brandkit.variants.plan_models import (
    COPY_FIELDS,
    MAX_PLAN_BYTES,
    MAX_VARIANTS,
    PLAN_SCHEMA_ID,
    AxisOption,
    EditSettings,
    ExpandedPlan,
    LocaleCopy,
    PlanEntry,
    PlanError,
    PlanReference,
    PlanSpec,
    RequestPatch,
    Variant,
    VariantPlan,
    load_plan,
    plan_from_data,
    plan_schema,
    plan_schema_json,
)

__all__ = [
    "COPY_FIELDS",
    "MAX_PLAN_BYTES",
    "MAX_VARIANTS",
    "PLAN_SCHEMA_ID",
    "AxisOption",
    "EditSettings",
    "ExpandedPlan",
    "LocaleCopy",
    "PlanEntry",
    "PlanError",
    "PlanReference",
    "PlanSpec",
    "RequestPatch",
    "Variant",
    "VariantPlan",
    "canonical_request",
    "expand_plan",
    "load_plan",
    "plan_from_data",
    "plan_schema",
    "plan_schema_json",
    "variant_count",
    "variant_key",
]

if __name__ == "__main__":  # pragma: no cover - `python -m brandkit.variants.plan [FILE]` writes the schema
    import sys

    text = plan_schema_json()
    if len(sys.argv) > 1:
        from brandkit.atomic import atomic_write

        atomic_write(Path(sys.argv[1]), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
