"""What the runner and the dry run settle before anything is sent: each variant's compiled first request,
its estimated and worst-case cost, and which variants an earlier session of the run already settled."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brandkit.errors import RequestError
from brandkit.memo import memo_scope
from brandkit.models import EditRequest
from brandkit.provider.pricing import PriceTable
from brandkit.spec.models import BrandSpec
from brandkit.variants.journal import JOURNAL_NAME, RETRY_ON_RESUME, JournalState, read_journal, replay
from brandkit.variants.plan import ExpandedPlan, PlanError, Variant

__all__ = ["COST_MARGIN", "estimate", "finished", "load_state", "preflight_requests", "settled", "worst_case"]

COST_MARGIN = 1.25
"""Reservations cover input tokens and price drift on top of the per-image output estimate."""


def _blank_png(width: int, height: int) -> bytes:
    """A plain image standing in for a master that does not exist yet (pre-flight of edit variants)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (245, 245, 245)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _compile(spec: BrandSpec, variant: Variant, blanks: dict[tuple[int, int], bytes]) -> Any:
    """The variant's first-attempt prompt (raises RequestError for forbidden content, bad formats, …).

    An edit variant is compiled against a blank image of its format (``blanks`` caches them per call).
    """
    from brandkit.compile import compile_edit, compile_prompt

    if isinstance(variant.request, EditRequest):
        fmt = spec.formats[variant.format_name]
        size = (fmt.width, fmt.height)
        if size not in blanks:
            blanks[size] = _blank_png(*size)
        return compile_edit(spec, variant.request, blanks[size])
    return compile_prompt(spec, variant.request)


def _attempts_cap(spec: BrandSpec, max_attempts: int | None) -> int:
    return max_attempts or spec.repair.max_attempts


def estimate(prompt: Any, prices: PriceTable) -> float | None:
    """Estimated cost of one attempt of ``prompt`` (output images, price table); ``None``: no price."""
    params = prompt.params
    try:
        return prices.estimate_cost(
            str(params.get("model")), str(params.get("quality", "auto")), prompt.width, prompt.height
        )
    except ValueError:
        return None


def worst_case(estimate: float | None, spec: BrandSpec, max_attempts: int | None, max_spend: float | None) -> float:
    """Most one variant can spend: every attempt of the repair loop (the loop stops once its budget is reached)."""
    if not estimate:
        return 0.0
    attempts = _attempts_cap(spec, max_attempts)
    cap = max_spend if max_spend is not None else spec.repair.max_spend_usd
    if cap is not None:
        attempts = min(attempts, math.floor(cap / estimate) + 1)
    return estimate * attempts * COST_MARGIN


def preflight_requests(plan: ExpandedPlan, variants: Sequence[Variant]) -> dict[str, Any]:
    """Compile every variant; raise PlanError listing each request a provider would refuse or the brand forbids."""
    from brandkit.errors import SpecIssue

    compiled: dict[str, Any] = {}
    issues: list[SpecIssue] = []
    blanks: dict[tuple[int, int], bytes] = {}
    with memo_scope():  # one memo for the whole plan: the logo decoded once, fonts and glyphs looked up once
        for variant in variants:
            try:
                compiled[variant.key] = _compile(plan.specs[variant.spec_id], variant, blanks)
            except RequestError as exc:
                where = f"variant {variant.name}" + (f" ({exc.field})" if exc.field else "")
                issues.append(SpecIssue(plan.plan.source, where, exc.message, exc.value))
    if issues:
        raise PlanError(
            f"{plan.plan.source}: {len(issues)} variant(s) would be refused before sending; nothing was spent",
            issues,
        )
    return compiled


def load_state(out: Path) -> JournalState:
    """The run in ``out`` as its journal tells it."""
    records, skipped = read_journal(out / JOURNAL_NAME)
    return replay(records, skipped)


def finished(state: JournalState, key: str, out: Path) -> bool:
    """A variant is finished when the journal says succeeded *and* its image and sidecar are on disk, whole."""
    record = state.state(key)
    if record.status != "succeeded":
        return False
    files = record.files
    image = files.get("image")
    if not image or not (out / image).is_file() or not (out / files.get("sidecar", image + ".json")).is_file():
        return False
    expected = record.last.get("bytes")
    return expected is None or (out / image).stat().st_size == expected


def settled(state: JournalState, key: str, out: Path, retry_failed: bool) -> str | None:
    """``succeeded`` / ``failed`` when the variant needs no work now, else ``None``."""
    if finished(state, key, out):
        return "succeeded"
    record = state.state(key)
    if record.status == "failed" and not retry_failed and record.kind not in RETRY_ON_RESUME:
        return "failed"
    return None
