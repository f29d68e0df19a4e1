"""What each MCP tool does, on the public SDK: brands, rules, compile, generate, edit, validate, review.

:class:`BrandService` owns the server's state — the loaded specs and one kit per brand, built lazily on first use,
with the brand's check engines (:class:`~brandkit.resources.KitResources`) — and nothing else. A spending call
(``generate`` / ``edit``) gets its own budgeted view of the brand's kit (same spec and check engines,
``max_spend_usd`` = the call's ``budget_usd``), so one call's budget never leaks into another's. Every method
raises a :mod:`brandkit.errors` error naming the bad field, file or value; :mod:`brandkit.mcp.server` maps it
to an MCP tool error.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from brandkit.checks.base import Check
from brandkit.errors import BrandViolationError, RequestError
from brandkit.evidence import build_verification
from brandkit.kit import AsyncBrandKit
from brandkit.kit_args import named_image_errors
from brandkit.mcp.config import ServerConfig
from brandkit.mcp.models import (
    AssetResult,
    BrandInfo,
    BrandList,
    BrandRules,
    CompileArgs,
    CompileResult,
    EditArgs,
    GenerateArgs,
    ValidateArgs,
    ValidateResult,
)
from brandkit.mcp.outputs import OutputFolder
from brandkit.models import AssetRequest, CompiledPrompt
from brandkit.provider.pricing import DEFAULT_PRICES
from brandkit.resources import KitResources
from brandkit.spec.loader import load_spec
from brandkit.spec.models import BrandSpec

__all__ = ["BrandService", "decode_image"]

MAX_BASE64_CHARS = 70_000_000
"""About 50 MB of image: larger base64 input is refused before decoding."""


def decode_image(text: str, field_name: str) -> bytes:
    """The bytes of a base64 image argument (a ``data:`` URL prefix is accepted); a
    :class:`~brandkit.errors.RequestError` naming ``field_name`` when it is not base64 or too large."""
    if len(text) > MAX_BASE64_CHARS:
        raise RequestError(
            f"{field_name}: {len(text):,} characters is over the {MAX_BASE64_CHARS:,} limit", field=field_name
        )
    payload = text.split(",", 1)[1] if text.startswith("data:") and "," in text else text
    try:
        return base64.b64decode(payload.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(f"{field_name}: not valid base64", field=field_name) from None


class BrandService:
    """The tools' logic over :class:`~brandkit.kit.AsyncBrandKit`; one per server (no module-level state).

    ``checks`` replaces the default checks of every kit (for embedding and tests; ``None``: the SDK's defaults).
    """

    def __init__(self, config: ServerConfig, *, checks: Sequence[Check] | None = None) -> None:
        self.config = config
        self._checks = list(checks) if checks is not None else None
        self._specs: dict[str, BrandSpec] = {}
        self._resources: dict[str, KitResources] = {}
        self._kits: dict[tuple[str, str | None], AsyncBrandKit] = {}  # (brand, palette mode) → kit
        self._lock = threading.Lock()  # guards the three dicts (held briefly; spec loading runs in a worker thread)
        self.outputs = OutputFolder(config, self._spec_sync)

    def __repr__(self) -> str:
        return f"BrandService(brands={sorted(self.config.brands)}, provider={self.config.provider!r})"

    # --- brands and kits --------------------------------------------------------------------------------------

    def _folder(self, brand: str) -> Path:
        folder = self.config.brands.get(brand)
        if folder is None:
            known = ", ".join(sorted(self.config.brands))
            raise RequestError(
                f"brand: unknown brand {brand!r} (this server serves: {known})", field="brand", value=brand
            )
        return folder

    async def spec(self, brand: str) -> BrandSpec:
        """The loaded spec of ``brand`` (loaded once, on first use)."""
        return await anyio.to_thread.run_sync(self._spec_sync, brand)

    def _spec_sync(self, brand: str) -> BrandSpec:
        folder = self._folder(brand)
        with self._lock:
            if brand not in self._specs:
                self._specs[brand] = load_spec(folder)
            return self._specs[brand]

    def built_kits(self) -> list[str]:
        """The brands whose kit has been built so far (kits are built on first use)."""
        with self._lock:
            return sorted({brand for brand, _ in self._kits})

    def _kit_options(self, brand: str) -> dict[str, Any]:
        with self._lock:
            resources = self._resources.setdefault(brand, KitResources())
        return {"provider": self.config.provider, "checks": self._checks, "resources": resources}

    async def kit(self, brand: str, mode: str | None = None) -> AsyncBrandKit:
        """The brand's kit in palette mode ``mode`` (built once, on first use; its check engines load on first
        check; a mode the spec lacks: :class:`RequestError` naming ``mode``)."""
        return await anyio.to_thread.run_sync(self._kit_sync, brand, mode)

    def _kit_sync(self, brand: str, mode: str | None) -> AsyncBrandKit:
        spec = self._spec_sync(brand).for_mode(mode)
        options = self._kit_options(brand)
        with self._lock:
            if (brand, mode) not in self._kits:
                self._kits[brand, mode] = AsyncBrandKit(spec, **options)
            return self._kits[brand, mode]

    async def _budgeted(self, brand: str, budget_usd: float, mode: str | None = None) -> AsyncBrandKit:
        """A kit for one spending call: the brand's spec (in palette mode ``mode``) and check engines,
        ``max_spend_usd=budget_usd``."""
        cap = self.config.max_budget_usd
        if budget_usd > cap:
            raise RequestError(
                f"budget_usd: {budget_usd} is over this server's cap of {cap} USD per call (--max-budget)",
                field="budget_usd",
                value=budget_usd,
            )
        spec = (await self.spec(brand)).for_mode(mode)
        options = self._kit_options(brand)
        return await anyio.to_thread.run_sync(lambda: AsyncBrandKit(spec, max_spend_usd=budget_usd, **options))

    # --- read-only tools ---------------------------------------------------------------------------------

    async def list_brands(self) -> BrandList:
        """Every configured brand; a spec that does not load is listed under ``unusable`` with its error."""
        from brandkit.errors import SpecError

        brands: list[BrandInfo] = []
        unusable: dict[str, str] = {}
        for key, folder in sorted(self.config.brands.items()):
            try:
                spec = await self.spec(key)
            except SpecError as exc:
                unusable[str(folder)] = exc.message
                continue
            formats = {name: f"{fmt.width}x{fmt.height}" for name, fmt in spec.formats.items()}
            brands.append(
                BrandInfo(
                    key=key,
                    name=spec.name,
                    version=spec.version,
                    description=spec.description,
                    folder=str(folder),
                    formats=formats,
                    modes=list(spec.palette.modes),
                )
            )
        return BrandList(brands=brands, unusable=unusable)

    async def show_rules(self, brand: str) -> BrandRules:
        """The brand's palette, logo rules, typography, forbidden content, required copy, formats and policies."""
        spec = await self.spec(brand)
        return BrandRules(
            key=brand,
            name=spec.name,
            version=spec.version,
            palette=spec.palette,
            logos=spec.logos,
            typography=spec.typography,
            forbidden=spec.forbidden,
            required=spec.required,
            formats=spec.formats,
            checks=spec.checks,
            repair=spec.repair,
        )

    async def compile(self, args: CompileArgs) -> CompileResult:
        """The compiled prompt of ``args.request`` and one attempt's cost from the price table; spends nothing."""
        kit = await self.kit(args.brand, args.mode)
        request = self._confined_request(args.request)
        prompt = await anyio.to_thread.run_sync(kit.compile, request)
        estimate, worst = _one_attempt_cost(prompt)
        spec = kit.spec
        refs = [
            {"index": r.index, "role": r.role, "name": r.name, "mime": r.mime, "bytes": len(r.data)}
            for r in prompt.references
        ]
        return CompileResult(
            prompt=prompt.text,
            operation=prompt.operation,
            params=prompt.params,
            format=prompt.format_name,
            size=prompt.size,
            prompt_hash=prompt.prompt_hash,
            references=refs,
            estimated_cost_usd=estimate,
            worst_case_usd=worst,
            max_attempts=spec.repair.max_attempts,
            provider=self.config.provider,
        )

    async def validate(self, args: ValidateArgs) -> tuple[ValidateResult, bytes | None]:
        """Every check on an image given by path (inside the allowed roots) or base64, with the verification
        report's evidence (:func:`brandkit.evidence.build_verification`); returns the result and the off-palette
        heat map (PNG, ``None`` when the palette check made none)."""
        data, source = await self._image(args.image_path, args.image_base64)
        kit = await self.kit(args.brand, args.mode)
        with named_image_errors(source if args.image_path else data):  # a file's errors name it, not "<N bytes>"
            expected = _expected(kit.spec, data, args)
            report = await kit.validate(data, expected)
            evidence = await anyio.to_thread.run_sync(
                lambda: build_verification(
                    kit.spec, data, report, request=expected, source=source, resources=kit.resources.checks
                )
            )
        result = ValidateResult(passed=report.passed, source=source, report=report, evidence=evidence)
        return result, evidence.heatmap_png()

    # --- spending tools ----------------------------------------------------------------------------------

    async def generate(self, args: GenerateArgs) -> AssetResult:
        """Generate one asset within ``args.budget_usd``, save it atomically into the output folder."""
        request = self._confined_request(args.request)
        if request.n != 1:
            raise RequestError(
                f"request.n: one asset per call (got {request.n}); call generate again",
                field="request.n",
                value=request.n,
            )
        async with await self._budgeted(args.brand, args.budget_usd, args.mode) as kit:  # clients closed after
            prompt = await anyio.to_thread.run_sync(kit.compile, request)  # forbidden content and bad copy: here
            await self.outputs.preflight(prompt)
            stem = f"{args.brand}-{prompt.format_name}"
            try:
                asset = await kit.generate(request)
            except BrandViolationError as exc:
                raise await self.outputs.rejected(exc, stem, args.budget_usd, args.brand, None) from None
        return await self.outputs.saved(asset, stem, args.budget_usd, args.brand)

    async def edit(self, args: EditArgs) -> AssetResult:
        """Edit an image (path inside the allowed roots, or base64) within ``args.budget_usd``; save the result."""
        data, source = await self._image(args.image_path, args.image_base64)
        mask = await self._file_or_base64(args.mask_path, args.mask_base64, "mask")
        stem = Path(source).stem if args.image_path else f"{args.brand}-image"
        await self.outputs.preflight(None)
        parent = Path(source) if args.image_path else None
        request = args.request
        if args.mode is not None:  # the request's palette mode: a re-theme when the image was made in another
            if request.palette_mode not in (None, args.mode):
                raise RequestError(
                    f"mode: {args.mode!r} beside request.palette_mode {request.palette_mode!r}: give one", field="mode"
                )
            request = request.model_copy(update={"palette_mode": args.mode})
        async with await self._budgeted(args.brand, args.budget_usd) as kit:  # clients closed after
            try:
                with named_image_errors(source if args.image_path else data):  # a file's errors name it
                    asset = await kit.edit(data, mask=None if mask is None else mask[0], request=request)
            except BrandViolationError as exc:
                raise await self.outputs.rejected(exc, f"{stem}-edited", args.budget_usd, args.brand, parent) from None
        return await self.outputs.saved(asset, f"{stem}-edited", args.budget_usd, args.brand, parent)

    # --- helpers -----------------------------------------------------------------------------------------

    def _confined_request(self, request: AssetRequest) -> AssetRequest:
        """``request`` with each reference image's path confined to the allowed roots (bytes are refused: an
        MCP client names files)."""
        if not request.references:
            return request
        refs = []
        for i, ref in enumerate(request.references):
            name = f"request.references[{i}]"
            if ref.data is not None or ref.path is None:
                raise RequestError(
                    f"{name}: give a reference image by path (inside the server's allowed roots)", field=name
                )
            refs.append(ref.model_copy(update={"path": str(self.config.confined(ref.path, f"{name}.path"))}))
        return request.model_copy(update={"references": refs})

    async def _image(self, path: str | None, data: str | None) -> tuple[bytes, str]:
        """The image by path (inside the allowed roots) or base64 — exactly one — and where it came from."""
        found = await self._file_or_base64(path, data, "image")
        if found is None:
            raise RequestError("image_path / image_base64: give exactly one of them", field="image_path")
        return found

    async def _file_or_base64(self, path: str | None, data: str | None, name: str) -> tuple[bytes, str] | None:
        """``<name>_path`` (inside the allowed roots) or ``<name>_base64``, or ``None`` when neither; both is
        refused."""
        from brandkit.imageio import read_bytes

        if path is not None and data is not None:
            raise RequestError(f"{name}_path / {name}_base64: give one of them, not both", field=f"{name}_path")
        if path is not None:
            real = self.config.confined(path, f"{name}_path")
            return await anyio.to_thread.run_sync(read_bytes, real), str(real)
        return None if data is None else (decode_image(data, f"{name}_base64"), "<base64>")


def _expected(spec: BrandSpec, data: bytes, args: ValidateArgs) -> AssetRequest | None:
    """The copy ``validate`` was told to expect, in the format ``args.format`` or the spec's format of the image's
    size, else the nearest in aspect (as ``brandkit validate`` does: the report's ``provenance.layout`` says so);
    ``None`` when no copy was given (the image's provenance says it)."""
    from brandkit.imageio import MAX_SOURCE_PIXELS, verify_image
    from brandkit.validate_many import format_of_size

    if not (args.headline or args.subhead or args.cta or args.disclaimers):
        if args.format is not None:
            raise RequestError(
                "format: it places the expected copy; give headline, subhead, cta or disclaimers "
                "with it (without them the image's provenance says both)",
                field="format",
            )
        return None
    kind, width, height = verify_image(data, MAX_SOURCE_PIXELS)  # a large file is read reduced
    fmt = args.format or format_of_size(spec, width, height)
    return AssetRequest(
        brief="validate an existing image",
        headline=args.headline,
        subhead=args.subhead,
        cta=args.cta,
        disclaimers=args.disclaimers,
        format=fmt,
        output_format=kind if kind in ("png", "jpeg", "webp") else None,
    )


def _one_attempt_cost(prompt: CompiledPrompt) -> tuple[float | None, float | None]:
    """(estimate, worst case) of one attempt of ``prompt`` with OpenAI, from the price table (``None``: the
    model or quality has no price)."""
    model, quality = str(prompt.params.get("model")), str(prompt.params.get("quality", "auto"))
    try:
        estimate = DEFAULT_PRICES.estimate_cost(model, quality, prompt.width, prompt.height)
        worst = DEFAULT_PRICES.worst_case_cost(
            model,
            quality,
            prompt.width,
            prompt.height,
            prompt_bytes=len(prompt.text.encode("utf-8")),
            input_images=len(prompt.references),
        )
    except ValueError:
        return None, None
    return estimate, worst
