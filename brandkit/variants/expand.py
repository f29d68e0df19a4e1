"""Plan expansion: a :class:`~brandkit.variants.plan_models.VariantPlan` into every variant with its key
(:func:`expand_plan`), and :func:`variant_count`, the count from the axes alone, checked before expanding."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from brandkit.errors import RequestError, SpecError, SpecIssue
from brandkit.models import AssetRequest, EditRequest
from brandkit.paths import allowed_folders
from brandkit.spec.models import BrandSpec
from brandkit.variants.keys import variant_key, variant_name
from brandkit.variants.layers import Expander, Layered
from brandkit.variants.plan_models import (
    MAX_VARIANTS,
    AxisValue,
    ExpandedPlan,
    PlanEntry,
    PlanError,
    PlanSpec,
    Variant,
    VariantPlan,
    load_plan,
)

__all__ = ["expand_plan", "variant_count"]


def _load_specs(ex: Expander, entries: list[PlanSpec], where_of: Mapping[str, str]) -> dict[str, BrandSpec]:
    from brandkit.spec.loader import load_spec

    specs: dict[str, BrandSpec] = {}
    for entry in entries:
        resolved = ex.path(entry.path, where_of[entry.id])
        if resolved is None:
            continue
        try:
            specs[entry.id] = load_spec(resolved).for_mode(entry.palette_mode)
        except SpecError as exc:
            ex.issue(where_of[entry.id], f"the brand spec does not load: {exc.message.splitlines()[0]}", entry.path)
            ex.issues.extend(exc.issues)
        except RequestError as exc:  # a mode the spec does not have
            where = where_of[entry.id].removesuffix(".path") + ".palette_mode"
            ex.issue(where, exc.message, entry.palette_mode)
    return specs


@dataclass
class _SpecContext:
    """What the variants of one spec share: the spec, its base request, axes and copy table."""

    entry: PlanSpec
    spec: BrandSpec
    prefix: str
    base: Layered
    axes: dict[str, tuple[list[AxisValue], str]]
    table: dict[str, Any]
    table_where: dict[str, str]


class _Collector:
    """The variants found so far, refusing a second variant with the same key."""

    def __init__(self, ex: Expander) -> None:
        self.ex = ex
        self.variants: list[Variant] = []
        self.names: dict[str, str] = {}

    def add(
        self,
        ctx: _SpecContext,
        labels: dict[str, str],
        request: AssetRequest | EditRequest,
        where: str,
        master: str | None = None,
        master_key: str | None = None,
        master_path: Path | None = None,
    ) -> str | None:
        key = variant_key(ctx.spec.fingerprint, request, master=master, hashes=self.ex.hashes)
        name = variant_name(ctx.entry.id, labels, key)
        if key in self.names:
            self.ex.issue(where, f"the same request as variant {self.names[key]} (identical key); remove one", name)
            return None
        self.names[key] = name
        operation: Literal["generate", "edit"] = "edit" if isinstance(request, EditRequest) else "generate"
        self.variants.append(
            Variant(key, len(self.variants), ctx.entry.id, labels, operation, request, name, master_key, master_path)
        )
        return key


def _matrix(ex: Expander, ctx: _SpecContext, out: _Collector, master_file: Path | None) -> None:
    plan = ex.plan
    options = {name: ex.options(name, vals, where) for name, (vals, where) in ctx.axes.items()}
    if plan.mode == "edit" and master_file is None and "locale" not in options:
        ex.issue("mode", "mode: edit adapts each variant per locale, so the plan needs a `locale` axis", "edit")
        return
    masters: dict[tuple[tuple[str, str], ...], str] = {}
    edits: list[tuple[dict[str, str], AssetRequest, str]] = []
    for combo in itertools.product(*options.values()):
        layered = ctx.base.copy()
        labels: dict[str, str] = {"spec": ctx.entry.id}
        locale: tuple[str, str] | None = None
        for name, (label, patch, at, exact) in zip(options, combo, strict=True):
            labels[name] = label
            layered.apply(patch, at, exact)
            if name == "locale":
                locale = (label, at)
        if locale is not None and not ex.localize(layered, locale[0], ctx.table, locale[1], ctx.table_where):
            continue
        where = f"{ctx.prefix}axes"
        request = ex.asset_request(layered, ctx.spec, where)
        if request is None:
            continue
        if plan.mode == "edit" and locale is not None and locale[0] != plan.source_locale:
            edits.append((labels, request, locale[0]))  # after every master is known
            continue
        key = out.add(ctx, labels, request, where)
        if key is not None:
            masters[_sibling(labels)] = key
    # Edit mode: each other-locale variant adapts its source-locale twin (or the plan's master file).
    for labels, request, code in edits:
        edit = ex.edit_request(request, code, ctx.table)
        if master_file is not None:
            ex.check_master_size(master_file, ctx.spec, request.format)
            out.add(
                ctx, labels, edit, "edit.master", master=f"file:{ex.hashes[str(master_file)]}", master_path=master_file
            )
            continue
        master_key = masters.get(_sibling(labels))
        if master_key is None:
            ex.issue(
                "source_locale",
                f"mode: edit needs the source locale {plan.source_locale!r} in the locale axis: its variants "
                "are the masters the other locales adapt",
                plan.source_locale,
            )
            return
        out.add(ctx, labels, edit, f"{ctx.prefix}axes.locale", master=f"variant:{master_key}", master_key=master_key)


def _entry(ex: Expander, ctx: _SpecContext, out: _Collector, item: PlanEntry, at: str) -> None:
    layered = ctx.base.copy()
    layered.apply(item.set, f"{at}.set")
    labels = {"spec": ctx.entry.id, "entry": item.name}
    if item.locale is not None:
        labels["locale"] = item.locale
        if not ex.localize(layered, item.locale, ctx.table, f"{at}.locale", ctx.table_where):
            return
    request = ex.asset_request(layered, ctx.spec, at)
    if request is not None:
        out.add(ctx, labels, request, at)


def expand_plan(
    plan: VariantPlan | str | os.PathLike[str], *, allow_paths: Sequence[str | os.PathLike[str]] = ()
) -> ExpandedPlan:
    """Load the plan's specs and expand every variant (the matrix of each spec, then explicit entries).

    Raises :class:`PlanError` listing every problem found — a field that does not validate, an unknown
    format, a locale without copy or a missing translation, a missing file, an image outside the plan's
    folder and the ``allow_paths`` folders (added to the plan's own, see :func:`load_plan`), two variants
    with the same key — each naming the plan file, the field path and the value. Nothing is sent or spent.
    """
    if not isinstance(plan, VariantPlan):
        plan = load_plan(plan, allow_paths=allow_paths)
        allow_paths = ()
    ex = Expander(plan, allowed_folders(allow_paths, error=PlanError))
    entries = plan.spec_entries()
    _refuse_too_many(plan)
    single = plan.spec is not None
    where_of = {e.id: ("spec" if single else f"specs[{i}].path") for i, e in enumerate(entries)}
    specs = _load_specs(ex, entries, where_of)
    master_file = ex.image(plan.edit.master, "edit.master") if plan.mode == "edit" and plan.edit.master else None
    out = _Collector(ex)
    axis_names: list[str] = ["spec"]
    contexts: dict[str, _SpecContext] = {}
    for i, entry in enumerate(entries):
        spec = specs.get(entry.id)
        if spec is None:
            continue
        prefix = "" if single else f"specs[{i}]."
        base = Layered()
        base.apply(plan.base, "base")
        base.apply(entry.base, f"{prefix}base")
        axes = {name: (vals, f"axes.{name}") for name, vals in plan.axes.items()}
        axes.update({name: (vals, f"{prefix}axes.{name}") for name, vals in entry.axes.items()})
        axis_names += [name for name in axes if name not in axis_names]
        table = ex.merged_locales(plan.locales, entry.locales)
        table_where = {code: f"{prefix}locales" if code in entry.locales else "locales" for code in table}
        ctx = _SpecContext(entry, spec, prefix, base, axes, table, table_where)
        contexts[entry.id] = ctx
        _matrix(ex, ctx, out, master_file)
        for j, item in enumerate(entry.entries):
            if item.spec not in (None, entry.id):
                ex.issue(
                    f"{prefix}entries[{j}].spec",
                    f"an entry under spec {entry.id!r} cannot name another spec",
                    item.spec,
                )
                continue
            _entry(ex, ctx, out, item, f"{prefix}entries[{j}]")
    _plan_entries(ex, plan, entries, where_of, contexts, out)
    if any(v.axes.get("entry") for v in out.variants):
        axis_names.append("entry")
    if plan.group_by is not None and plan.group_by not in axis_names:
        ex.issue("group_by", f"not an axis of this plan (axes: {', '.join(axis_names)})", plan.group_by)
    if not ex.issues and not out.variants:
        ex.issue("axes", "the plan expands to no variant: add axes or entries", None)
    if len(out.variants) > MAX_VARIANTS:
        ex.issue("axes", f"the plan expands to {len(out.variants):,} variants (limit {MAX_VARIANTS:,})", None)
    if ex.issues:
        raise PlanError(f"{plan.source}: invalid variant plan ({len(ex.issues)} problem(s))", ex.issues)
    digest = hashlib.sha256("\n".join(v.key for v in out.variants).encode("ascii")).hexdigest()
    return ExpandedPlan(plan=plan, specs=specs, variants=tuple(out.variants), axes=tuple(axis_names), plan_hash=digest)


def _refuse_too_many(plan: VariantPlan) -> None:
    """PlanError when the axes' lengths alone pass MAX_VARIANTS: before loading a spec or building a variant."""
    count = variant_count(plan)
    if count > MAX_VARIANTS:
        raise PlanError(
            f"{plan.source}: the plan would expand to {count:,} variants; the limit is {MAX_VARIANTS:,}",
            [SpecIssue(plan.source, "axes", f"too many variants: {_count_detail(plan)}", count)],
        )


def _plan_entries(
    ex: Expander,
    plan: VariantPlan,
    entries: Sequence[PlanSpec],
    where_of: Mapping[str, str],
    contexts: Mapping[str, _SpecContext],
    out: _Collector,
) -> None:
    """The plan's own ``entries``, each under the spec it names (or the only one)."""
    for j, item in enumerate(plan.entries):
        target = item.spec or (entries[0].id if len(entries) == 1 else None)
        if target is None:
            ex.issue(f"entries[{j}].spec", "the plan has several specs: say which one this entry is for", None)
        elif target not in where_of:
            ex.issue(f"entries[{j}].spec", f"unknown spec id (known: {', '.join(where_of)})", item.spec)
        elif target in contexts:
            _entry(ex, contexts[target], out, item, f"entries[{j}]")


def variant_count(plan: VariantPlan) -> int:
    """How many variants ``plan`` expands to, from its axes' lengths alone (nothing expanded or loaded).

    Per spec: the product of its axes' lengths (the plan's axes, those of ``specs[i].axes`` replacing or
    adding), plus its entries; plus the plan's entries. An upper bound: combinations refused while expanding
    (a missing translation, a duplicate key) only lower it.
    """
    total = len(plan.entries)
    for entry in plan.spec_entries():
        axes = {**plan.axes, **entry.axes}
        total += math.prod(max(len(values), 1) for values in axes.values()) + len(entry.entries)
    return total


def _count_detail(plan: VariantPlan) -> str:
    """The product behind :func:`variant_count`, per spec (``spec: 10 headline × 4 format``)."""
    parts = []
    for entry in plan.spec_entries():
        axes = {**plan.axes, **entry.axes}
        product = " × ".join(f"{max(len(values), 1):,} {name}" for name, values in axes.items()) or "1"
        parts.append(f"{entry.id}: {product}" + (f" + {len(entry.entries)} entries" if entry.entries else ""))
    return "; ".join(parts) + (f"; + {len(plan.entries)} plan entries" if plan.entries else "")


def _sibling(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The labels without the locale: variants that differ only by locale share it."""
    return tuple((k, v) for k, v in labels.items() if k != "locale")
