"""Never pay for what cannot be kept: a variant run's output guard and its spool (``DIR/spool/``).

:class:`OutputGuard` watches every write of a run. At the first write that fails for the folder or the
filesystem (full disk, quota, read-only, permission, I/O error: :func:`brandkit.outputs.is_storage_failure`)
it stops the run from paying: no new variant starts, and the gate it puts in front of every kit's provider
(:meth:`OutputGuard.gate`) refuses any further render — requests already sent finish. A result that was paid
for but could not be saved goes into the spool instead: ``DIR/spool/<key>/`` holds the image and its sidecar
(written by :meth:`~brandkit.Asset.save`, exactly as the final save would) and ``record.json``, the fields of
its journal ``succeeded`` line, written last. A later ``--resume`` moves spooled results into place without
paying again (:meth:`OutputGuard.recover`). Room for the spool is reserved at the start of a session
(``DIR/spool/.reserve``, allocated with ``posix_fallocate`` for the variants that can be in progress at
once) and handed back at the first failure, so even a disk filled by someone else keeps what was paid for.
Only when the spool cannot be written either is a result *lost*: it is journaled as such (kind ``output``,
``lost: true``) and reported, with its cost.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit.atomic import atomic_write, atomic_write_all, sweep_tree
from brandkit.checks.base import ModerationScores
from brandkit.errors import BrandkitError, OutputFolderError
from brandkit.models import CompiledPrompt, RenderCall, RenderResult
from brandkit.outputs import (
    SIDECAR_BYTES,
    VARIANT_EXTRA,
    OutputEstimate,
    estimate_image_bytes,
    estimate_output_bytes,
    image_extension,
    is_storage_failure,
    prompt_output,
)
from brandkit.provider.base import ImageProvider, Moderator, worst_case_cost_of

if TYPE_CHECKING:
    from brandkit.asset import Asset

_log = logging.getLogger("brandkit.variants.spool")

__all__ = ["SPOOL_DIR", "OutputGuard", "RenderRefused", "result_fields", "run_estimate"]

SPOOL_DIR = "spool"
RESERVE_NAME = ".reserve"
RECORD_NAME = "record.json"
RESERVE_CAP = 256 * 1024 * 1024
"""At most this much is reserved for the spool (a tmpfs reserve is memory; very wide runs get a partial one)."""


class RenderRefused(Exception):
    """Raised by the guard's gate instead of sending a render after writes failed (nothing is spent)."""


class OutputGuard:
    """One session's watch over its writes (see the module docstring). No global state: one per session."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out / SPOOL_DIR
        self.failure: str | None = None
        """Why writes failed (the first storage failure), or ``None``."""
        self.kept: list[str] = []
        """Variants paid for whose result is in the spool (saved by the next ``--resume``)."""
        self.lost: list[str] = []
        """Variants paid for whose result could be kept nowhere."""
        self.lost_usd = 0.0
        self.note: str | None = None
        """Why no spool space was reserved (the filesystem cannot preallocate), if so."""

    # -- stopping ----------------------------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """True once a write failed for the folder or filesystem: pay for nothing more."""
        return self.failure is not None

    def noticed(self, exc: BaseException, *, always: bool = False) -> bool:
        """Look at a failed write: a storage failure (any failure with ``always``) stops the run and hands the
        reserve back; returns whether the run is stopped now."""
        if self.failure is None and (always or is_storage_failure(exc)):
            self.failure = str(exc)[:300]
            self.release()
        return self.stopped

    def gate(self, provider: ImageProvider) -> ImageProvider:
        """``provider`` behind this guard: a render after the stop raises :class:`RenderRefused` unsent."""
        if isinstance(provider, Moderator):
            return _ModeratingGate(provider, self)
        return _Gate(provider, self)

    # -- the reserve ---------------------------------------------------------------------------

    def reserve(self, size: int) -> None:
        """Allocate ``size`` bytes for the spool (``DIR/spool/.reserve``); a filesystem that cannot preallocate
        gets no reserve and a :attr:`note`. Raises :class:`OutputFolderError` when there is no room."""
        if size <= 0:
            return
        path = self.folder / RESERVE_NAME
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            message = f"{self.folder}: cannot create the spool folder ({exc.strerror or exc})"
            raise OutputFolderError(message, str(self.folder), "not_writable") from exc
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise OutputFolderError(
                    f"{self.out}: not enough free space to reserve {size / 1_000_000:.1f} MB for results that "
                    "cannot be saved; nothing was spent",
                    str(self.out),
                    "no_space",
                    need_bytes=size,
                ) from exc
            self.note = f"no spool space reserved: the filesystem cannot preallocate ({exc.strerror or exc})"
            _log.warning("%s: %s; a result that cannot be saved is kept only if there is room", self.out, self.note)
            return
        os.close(fd)

    def release(self) -> None:
        """Hand the reserved space back (at the first failure, and at the end of the session)."""
        with contextlib.suppress(OSError):
            (self.folder / RESERVE_NAME).unlink()

    def close(self) -> None:
        """End of session: release the reserve; remove the spool folder when nothing is kept in it."""
        self.release()
        with contextlib.suppress(OSError):
            self.folder.rmdir()

    # -- keeping and recovering -----------------------------------------------------------------

    def keep(self, key: str, name: str, asset: Asset, fields: dict[str, Any]) -> dict[str, Any]:
        """Put a paid result that could not be saved into the spool; returns the journal fields saying so
        (``spooled`` or ``lost``). ``fields`` are those of its ``succeeded`` line."""
        entry = self.folder / key
        image_name = Path(fields["files"]["image"]).name
        try:
            asset.save(entry / image_name, overwrite=True)  # the spool owns its keyed names
            record = {**fields, "spool_image": image_name}
            atomic_write(entry / RECORD_NAME, json.dumps(record, ensure_ascii=False, default=str).encode("utf-8"))
        except (BrandkitError, OSError) as exc:
            with contextlib.suppress(OSError):
                shutil.rmtree(entry)
            self.noticed(exc)
            self.lost.append(name)
            self.lost_usd += float(fields.get("cost_usd") or 0.0)
            return {"lost": True, "reason_lost": str(exc)[:300]}
        self.kept.append(name)
        return {"spooled": f"{SPOOL_DIR}/{key}/{image_name}"}

    def keep_saved(self, key: str, name: str, fields: dict[str, Any]) -> None:
        """A result whose files were saved but whose journal line could not be written: note it in the spool
        so that resume journals it without paying again (else it is reported lost)."""
        try:
            data = json.dumps({**fields, "saved": True}, ensure_ascii=False, default=str).encode("utf-8")
            atomic_write(self.folder / key / RECORD_NAME, data)
        except (BrandkitError, OSError):
            self.lost.append(name)
            self.lost_usd += float(fields.get("cost_usd") or 0.0)
            return
        self.kept.append(name)

    def has(self, key: str) -> bool:
        """Whether the spool holds a complete result for ``key``."""
        return (self.folder / key / RECORD_NAME).is_file()

    def recover(self, key: str) -> dict[str, Any] | None:
        """Save the spooled result of ``key`` into its place (image and sidecar atomically, then the thumbnail)
        and return the fields of its ``succeeded`` line; ``None`` (entry dropped) when the entry is unusable.
        Raises :class:`OutputError` when the final save fails again (the entry stays)."""
        from brandkit.variants.thumbnails import make_thumbnail

        entry = self.folder / key
        try:
            record = json.loads((entry / RECORD_NAME).read_text(encoding="utf-8"))
            files = record["files"]
            saved = record.pop("saved", False) is True
            source = self.out / files["image"] if saved else entry / str(record["spool_image"])
            image = source.read_bytes()
            sidecar = (source.parent / (source.name + ".json")).read_bytes()
            valid = hashlib.sha256(image).hexdigest() == record["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            self.discard(key)
            return None
        if not saved:
            atomic_write_all([(self.out / files["image"], image), (self.out / files["sidecar"], sidecar)])
        make_thumbnail(image, self.out / files["thumb"])
        record.pop("spool_image", None)
        return dict(record)

    def discard(self, key: str) -> None:
        """Remove the spool entry of ``key`` (after its result was saved and journaled)."""
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder / key)

    def sweep(self) -> None:
        """Remove stale temp files left by killed writers anywhere in the output folder (rule:
        :mod:`brandkit.atomic`) and the reserve of a killed session; the session holds the run lock, so no
        other run writes here."""
        self.release()
        sweep_tree(self.out)

    # -- reporting --------------------------------------------------------------------------------

    def summary(self, saved: int) -> dict[str, Any] | None:
        """``None`` when every write worked; else what happened: saved, kept (spool), lost, reason."""
        if self.failure is None and not self.kept and not self.lost:
            return None
        return {
            "reason": self.failure,
            "saved": saved,
            "kept": len(self.kept),
            "lost": len(self.lost),
            "kept_variants": list(self.kept),
            "lost_variants": list(self.lost),
            "lost_usd": round(self.lost_usd, 6),
            "note": self.note,
            "message": f"output failed: {saved} saved, {len(self.kept)} kept for resume, {len(self.lost)} lost",
        }


class _Gate:
    """A provider behind an :class:`OutputGuard` (``render``/``arender`` refused once writes failed)."""

    def __init__(self, inner: ImageProvider, guard: OutputGuard) -> None:
        self.inner = inner
        self.guard = guard
        self.name = inner.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    def _check(self) -> None:
        if self.guard.stopped:
            raise RenderRefused(f"not sent: writes into {self.guard.out} failed ({self.guard.failure})")

    def worst_case_cost(self, call: RenderCall) -> float | None:
        """The wrapped provider's bound (``None`` when it states none)."""
        return worst_case_cost_of(self.inner, call)

    def render(self, call: RenderCall) -> RenderResult:
        """Render unless writes failed."""
        self._check()
        return self.inner.render(call)

    async def arender(self, call: RenderCall) -> RenderResult:
        """Render unless writes failed."""
        self._check()
        return await self.inner.arender(call)


class _ModeratingGate(_Gate):
    """:class:`_Gate` for a provider that moderates: moderation (free) always goes through."""

    inner: Any

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Passed through."""
        scores: ModerationScores = self.inner.moderate(image, mime, text)
        return scores

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Passed through."""
        scores: ModerationScores = await self.inner.amoderate(image, mime, text)
        return scores


def result_fields(name: str, key: str, asset: Asset) -> dict[str, Any]:
    """The fields of a variant's ``succeeded`` journal line for ``asset``: file names (relative to the output
    folder), size, sha256, cost, attempts, checks summary. Computed only; nothing is written."""
    from brandkit.variants.report import report_summary

    image_rel = f"{name}{image_extension(asset.output_format)}"
    return {
        "files": {"image": image_rel, "sidecar": image_rel + ".json", "thumb": f"thumbs/{key[:16]}.jpg"},
        "bytes": len(asset.data),
        "sha256": hashlib.sha256(asset.data).hexdigest(),
        "width": asset.width,
        "height": asset.height,
        "cost_usd": round(asset.cost_usd, 6),
        "attempts": len(asset.attempts),
        "attempt": asset.attempt_number,
        "fixes": asset.fixes,
        "provider": asset.provider,
        "model": asset.model,
        "report": report_summary(asset.report),
    }


def run_estimate(
    out: Path, names: Sequence[str], prompts: Sequence[CompiledPrompt], slots: int
) -> tuple[OutputEstimate, int, tuple[Path, ...]]:
    """What a session will write: the estimate (every variant to make, its thumbnail and records, plus the
    spool reserve), the reserve itself (``slots`` results in progress at once), and the sub-folders that must
    not be blocked by files."""
    images = [prompt_output(p) for p in prompts]
    need = estimate_output_bytes(images, per_image_extra=VARIANT_EXTRA)
    largest = max((estimate_image_bytes(*image) for image in images), default=0)
    reserve = min(RESERVE_CAP, min(slots, len(images)) * (largest + SIDECAR_BYTES + 16 * 1024))
    folders = {out / "thumbs", out / SPOOL_DIR}
    for name in names:
        parent = Path(name).parent
        folders.update({out / parent, out / "rejected" / parent})
    return need + OutputEstimate(reserve, 1), reserve, tuple(sorted(folders))
