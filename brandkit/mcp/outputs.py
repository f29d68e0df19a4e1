"""Where the MCP server's spending tools put what they made (its ``--out`` folder): checked before anything is spent,
each asset saved atomically under a fresh name and recorded in the registry when the server has one; and a request
no attempt of which passed keeps its best attempt (:class:`Rejected`: paid for, kept for review)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from brandkit.asset import Asset
from brandkit.errors import BrandkitError, BrandViolationError, OutputError, OutputExistsError
from brandkit.mcp.config import ServerConfig
from brandkit.mcp.models import AssetResult
from brandkit.models import CompiledPrompt
from brandkit.outputs import estimate_output_bytes, keep_elsewhere, preflight, prompt_output
from brandkit.spec.models import BrandSpec

__all__ = ["OutputFolder", "Rejected"]

_log = logging.getLogger("brandkit.mcp")


class Rejected(Exception):
    """``generate`` / ``edit``: no attempt passed (``error``), and the best attempt was saved and recorded (``kept``,
    ``passed`` false); the server reports the error with it."""

    def __init__(self, error: BrandViolationError[Any, Any, Asset], kept: AssetResult) -> None:
        super().__init__(str(error))
        self.error = error
        self.kept = kept


class OutputFolder:
    """The server's output folder as the spending tools use it; ``spec_of(brand)`` gives a brand's loaded spec (what a
    recorded asset was held to)."""

    def __init__(self, config: ServerConfig, spec_of: Callable[[str], BrandSpec]) -> None:
        self.config = config
        self._spec_of = spec_of

    async def rejected(
        self, error: BrandViolationError[Any, Any, Asset], stem: str, budget_usd: float, brand: str, parent: Path | None
    ) -> Exception:
        """What to raise when no attempt passed: :class:`Rejected`, the best attempt saved (``STEM-rejected-…``) and
        recorded as failed — paid for, kept for review —; the error itself when nothing was rendered or the save
        failed (said in the server's log: the error is what the client must see)."""
        if error.asset is None:
            return error
        try:
            kept = await self.saved(error.asset, f"{stem}-rejected", budget_usd, brand, parent)
        except BrandkitError as exc:
            _log.warning("brandkit mcp: the rejected attempt could not be kept: %s", exc)
            return error
        return Rejected(error, kept)

    async def preflight(self, prompt: CompiledPrompt | None) -> None:
        """The output folder is usable (and, for a known size, large enough) before anything is spent."""
        images = [] if prompt is None else [prompt_output(prompt)]
        await anyio.to_thread.run_sync(preflight, self.config.out, estimate_output_bytes(images))

    async def saved(
        self, asset: Asset, stem: str, budget_usd: float, brand: str, parent: Path | None = None
    ) -> AssetResult:
        """Save ``asset`` as ``STEM-<random>`` (with its sidecar), record it, and describe it for the client; a save
        that fails keeps the paid image elsewhere when it can (``OutputFailedError``, as the CLI does)."""
        try:
            path = await anyio.to_thread.run_sync(self._save_new, asset, stem)
        except OutputError as exc:  # paid for, not saved: kept elsewhere when possible, and said (as the CLI does)
            raise keep_elsewhere([(stem, asset.cost_usd, asset.save)], 0, self.config.out, exc) from exc
        registry_id, warnings = await anyio.to_thread.run_sync(self._record, asset, path, brand, parent)
        return AssetResult(
            path=str(path),
            sidecar=str(path) + ".json",
            passed=asset.report.passed,
            provider=asset.provider,
            model=asset.model,
            attempt=asset.attempt_number,
            attempts=len(asset.attempts),
            cost_usd=round(asset.cost_usd, 6),
            budget_usd=budget_usd,
            fixes=list(asset.fixes),
            report=asset.report,
            edit=asset.edit.model_dump(mode="json") if asset.edit is not None else None,
            registry_id=registry_id,
            warnings=warnings,
        )

    def _save_new(self, asset: Asset, stem: str) -> Path:
        """Save under ``out/<stem>-<random>`` (atomic; never over an existing file)."""
        for _ in range(100):
            try:
                return asset.save(self.config.out / f"{stem}-{secrets.token_hex(4)}")
            except OutputExistsError:
                continue
        raise OutputExistsError(f"{self.config.out}: no free name for {stem!r}", path=str(self.config.out))

    def _record(self, asset: Asset, path: Path, brand: str, parent: Path | None) -> tuple[int | None, list[str]]:
        """Record the saved asset in the registry when the server has one: its id (an edit linked to the recorded
        asset it started from, ``parent``) and the registry's warnings (a registry failure never fails the call:
        the files are safe)."""
        if self.config.db is None:
            return None, []
        from brandkit.registry.recorder import RegistryRecorder

        kind = "edit" if asset.edit is not None else "generate"
        spec = self._spec_of(brand)
        with RegistryRecorder(
            self.config.db, f"mcp {kind}", self.config.out, spec=spec, kind=kind, parent_path=parent
        ) as recorder:
            row = recorder.add(asset, path)
        return (None if row is None else row.id), list(recorder.warnings)
