"""The labelled evaluation corpus for brandkit's gates (issue 11, item 2).

Real photographs (the example brands' photo libraries, plus a few
public-domain photos from scikit-image's data folder for off-brand cases)
composed into ads by brandkit itself — the brand spec is compiled, the local
renderer picks the photo from the brief, crops it into the layout's hero box
and draws the brand zones, exact copy and logo — then edited the way real
images go wrong (a competitor's colour field, a tint, a forbidden colour, the
primary colour missing, greyscale, near-black, neon, a colour cast) or the
way on-brand copies differ (tonal retouching, JPEG re-encoding, resizing).

The labels and reasons live in ``tests/data/gate_corpus.yaml`` and follow
each brand's art direction written there; they were decided by looking at
the photographs, not by running a check. Images are generated, never
committed:

* :func:`load_cases` reads the manifest (and the hero box of every case);
* :func:`render_case` renders one case to encoded bytes (deterministic);
* :func:`render_all` renders every case into a folder, cached by a content
  hash (manifest entry, spec fingerprint, generator sources, size).

Run ``python -m tests.support.gate_corpus OUT_DIR`` to write the images and
a ``labels.json`` for people to look at.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from brandkit import load_spec
from brandkit.asset import embed_provenance, provenance_record
from brandkit.color import hex_to_rgb
from brandkit.compile import compile_prompt
from brandkit.compose import background_color
from brandkit.imageio import encode_image, load_image
from brandkit.layout import Box
from brandkit.models import AssetRequest, CompiledPrompt, RenderCall
from brandkit.provider.local import LocalRenderer
from brandkit.provider.photo_library import cover_crop
from brandkit.spec.models import BrandSpec, ColorRole

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "tests" / "data" / "gate_corpus.yaml"
SPECS = ROOT / "brand_specs"
GENERATOR_VERSION = "1"
# files whose code decides the pixels or the provenance written into the files: part of the cache key
_SOURCES = (
    Path(__file__),
    ROOT / "brandkit" / "asset.py",
    ROOT / "brandkit" / "provenance.py",
    ROOT / "brandkit" / "provider" / "local.py",
    ROOT / "brandkit" / "provider" / "photo_library.py",
    ROOT / "brandkit" / "compose.py",
    ROOT / "brandkit" / "layout.py",
)
Label = Literal["on", "off"]
OPS = frozenset(
    {
        "photo_tone",
        "tint",
        "recolor_background",
        "patch",
        "remove_primary",
        "grayscale",
        "darken",
        "saturate",
        "foreign_photo",
        "bare_photo",
        "reencode",
        "resize",
    }
)


class CorpusError(ValueError):
    """The manifest is malformed or a case cannot be rendered as described (names the case)."""


@dataclass(frozen=True)
class GateCase:
    """One labelled image of the corpus.

    ``photo`` is a photo id of the brand's spec library, or ``skimage:<file>`` for a
    photograph from scikit-image's data folder placed by the corpus (off-brand cases).
    ``photo_box`` is the photographic region the gate is told about: the layout's hero box
    when the image was composed through brandkit's layout and keeps its provenance
    (``has_layout``), else ``None``. ``hero_box`` is where the photo really is (ground truth,
    also for foreign copies), ``None`` for an image without a layout at all.
    """

    id: str
    brand: str
    photo: str
    format: str
    label: Label
    reason: str
    kind: str
    has_layout: bool
    photo_box: Box | None = None
    hero_box: Box | None = None
    seed: int = 7
    background: Literal["light", "dark"] = "light"
    ops: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    brief: str = ""
    headline: str = ""
    subhead: str = ""
    cta: str = ""
    art_direction: str = ""

    @property
    def library_photo(self) -> bool:
        """True when ``photo`` names a photo of the brand's own library."""
        return not self.photo.startswith("skimage:")


def _required(entry: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise CorpusError(f"{where}: missing {key!r}")
    return entry[key]


def _read_manifest(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CorpusError(f"{path}: expected a mapping with a 'cases' list")
    return data


def load_cases(path: Path = MANIFEST, *, with_boxes: bool = True) -> list[GateCase]:
    """Every case of the manifest, in file order (with ``photo_box``/``hero_box`` from the layout unless
    ``with_boxes`` is false)."""
    data = _read_manifest(path)
    art = data.get("art_direction", {})
    briefs = data.get("briefs", {})
    cases: list[GateCase] = []
    seen: set[str] = set()
    specs: dict[str, BrandSpec] = {}
    for i, entry in enumerate(data["cases"]):
        where = f"{path.name}: cases[{i}]"
        if not isinstance(entry, dict):
            raise CorpusError(f"{where}: expected a mapping")
        case_id = str(_required(entry, "id", where))
        where = f"{path.name}: case {case_id!r}"
        if case_id in seen:
            raise CorpusError(f"{where}: duplicate id")
        seen.add(case_id)
        brand = str(_required(entry, "brand", where))
        label = str(_required(entry, "label", where))
        if label not in ("on", "off"):
            raise CorpusError(f"{where}: label must be 'on' or 'off', got {label!r}")
        ops = tuple(entry.get("ops") or ())
        for op in ops:
            if not isinstance(op, dict) or op.get("op") not in OPS:
                raise CorpusError(f"{where}: unknown edit {op!r}; known: {sorted(OPS)}")
        brief_key = str(entry.get("brief") or _required(entry, "photo", where))
        copy = briefs.get(brand, {}).get(brief_key)
        if not isinstance(copy, dict):
            raise CorpusError(f"{where}: no brief {brief_key!r} for brand {brand!r} under 'briefs'")
        case = GateCase(
            id=case_id,
            brand=brand,
            photo=str(_required(entry, "photo", where)),
            format=str(_required(entry, "format", where)),
            label=cast(Label, label),
            reason=str(_required(entry, "reason", where)),
            kind=str(_required(entry, "kind", where)),
            has_layout=bool(entry.get("has_layout", True)),
            seed=int(entry.get("seed", 7)),
            background=cast(Literal["light", "dark"], entry.get("background", "light")),
            ops=ops,
            brief=str(_required(copy, "brief", where)),
            headline=str(copy.get("headline", "")),
            subhead=str(copy.get("subhead", "")),
            cta=str(copy.get("cta", "")),
            art_direction=str(art.get(brand, "")),
        )
        if with_boxes:
            spec = specs.get(brand) or specs.setdefault(brand, _spec(brand))
            hero = None if _is_bare(case) else compile_prompt(spec, _request(case)).layout.hero_box
            case = replace(case, hero_box=hero, photo_box=hero if case.has_layout else None)
        cases.append(case)
    return cases


def _is_bare(case: GateCase) -> bool:
    return any(op["op"] == "bare_photo" for op in case.ops)


def _spec(brand: str) -> BrandSpec:
    return load_spec(SPECS / brand)


def _request(case: GateCase) -> AssetRequest:
    """The asset request of a case: its brief and copy; the local renderer draws copy and logo itself."""
    return AssetRequest(
        brief=case.brief,
        headline=case.headline or None,
        subhead=case.subhead or None,
        cta=case.cta or None,
        format=case.format,
        background=case.background,
        seed=case.seed,
        text="render",
        logo="reference",
    )


def _foreign_photo(name: str) -> Image.Image:
    """A photograph from scikit-image's data folder (real file, real decoding, no network)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise CorpusError("scikit-image is needed for the corpus's foreign photographs (the 'test' extra)")
    return load_image(Path(spec.origin).parent / "data" / name).convert("RGB")


def _mask(size: tuple[int, int], box: Box | None, region: str) -> Image.Image:
    """An L mask: 255 where an edit applies (``photo``: the hero box; ``zones``: everything else; ``all``)."""
    if region == "all" or box is None:
        return Image.new("L", size, 255)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill=255)
    return mask if region == "photo" else ImageOps.invert(mask)


def _blend(image: Image.Image, edited: Image.Image, box: Box | None, region: str) -> Image.Image:
    return Image.composite(edited, image, _mask(image.size, box, region))


def _apply(
    image: Image.Image, op: Mapping[str, Any], case: GateCase, spec: BrandSpec, prompt: CompiledPrompt
) -> Image.Image:
    """One edit of the manifest (see ``OPS``); the hero box comes from the case's own layout."""
    name = op["op"]
    box = prompt.layout.hero_box
    region = str(op.get("region", "photo"))
    if name == "photo_tone":
        edited = ImageEnhance.Brightness(image).enhance(float(op.get("brightness", 1.0)))
        edited = ImageEnhance.Contrast(edited).enhance(float(op.get("contrast", 1.0)))
        edited = ImageEnhance.Color(edited).enhance(float(op.get("saturation", 1.0)))
        return _blend(image, edited, box, region)
    if name == "saturate":
        edited = ImageEnhance.Color(image).enhance(float(op["factor"]))
        edited = ImageEnhance.Contrast(edited).enhance(float(op.get("contrast", 1.0)))
        return _blend(image, edited, box, region)
    if name == "tint":
        layer = Image.new("RGB", image.size, hex_to_rgb(str(op["color"])))
        return _blend(image, Image.blend(image, layer, float(op["strength"])), box, region)
    if name == "grayscale":
        return ImageOps.grayscale(image).convert("RGB")
    if name == "darken":
        return ImageEnhance.Brightness(image).enhance(float(op["factor"]))
    if name == "recolor_background":
        flat_bg = np.asarray(background_color(spec, case.background), dtype=np.uint8)
        pixels = np.asarray(image).copy()
        flat = np.all(pixels == flat_bg, axis=-1) & (np.asarray(_mask(image.size, box, "zones")) > 0)
        pixels[flat] = hex_to_rgb(str(op["color"]))
        return Image.fromarray(pixels, "RGB")
    if name == "remove_primary":
        bg = background_color(spec, case.background)
        values = np.asarray(image).astype(np.int32)
        keep = np.asarray(_mask(image.size, box, "photo")) > 0
        result = values.copy()
        for primary in spec.palette.by_role(ColorRole.primary):
            target = np.asarray(hex_to_rgb(primary.hex), dtype=np.int32)
            near = np.sqrt(((values - target) ** 2).sum(axis=-1)) <= float(op.get("radius", 28))
            result[near & ~keep] = bg
        return Image.fromarray(result.astype(np.uint8), "RGB")
    if name == "patch":
        share = float(op["share"])
        side = round((share * image.width * image.height) ** 0.5)
        w, h = min(image.width, round(side * 1.6)), max(1, round(side / 1.6))
        where = str(op.get("where", "photo"))
        if where == "photo" and box is not None:
            x0, y0 = box.x1 - w - box.width // 20, box.y0 + box.height // 12
        else:  # the lower right of the copy area, below the CTA
            cb = prompt.layout.copy_box
            x0, y0 = cb.x1 - w, cb.y1 - h
        patched = image.copy()
        ImageDraw.Draw(patched).rounded_rectangle(
            (x0, y0, x0 + w, y0 + h), radius=h // 6, fill=hex_to_rgb(str(op["color"]))
        )
        return patched
    if name == "foreign_photo":
        if box is None:
            raise CorpusError(f"case {case.id!r}: the layout has no hero box for a photo")
        photo = _foreign_photo(str(op["file"]))
        focal = op.get("focal", [0.5, 0.5])
        cropped, _ = cover_crop(photo, (float(focal[0]), float(focal[1])), (box.width, box.height))
        placed = image.copy()
        placed.paste(cropped, (box.x0, box.y0))
        return placed
    raise CorpusError(f"case {case.id!r}: edit {name!r} does not apply here")


def _bare_photo(case: GateCase, spec: BrandSpec, size: tuple[int, int]) -> Image.Image:
    """The case's photo alone, cover-cropped to the whole canvas (no layout, no brand zones)."""
    if case.library_photo:
        photo = next((p for p in spec.photos if p.id == case.photo), None)
        if photo is None:
            raise CorpusError(f"case {case.id!r}: no photo {case.photo!r} in {case.brand}'s library")
        image = load_image(spec.asset_path(photo.file)).convert("RGB")
        focal = (photo.focal_point.x, photo.focal_point.y)
    else:
        image, focal = _foreign_photo(case.photo.removeprefix("skimage:")), (0.5, 0.5)
    return cover_crop(image, focal, size)[0]


def render_case(case: GateCase, size: int | None = None) -> bytes:
    """The encoded image of ``case`` (deterministic: the same bytes every time).

    ``size`` caps the long side in pixels (Lanczos downscale after every edit); scale
    ``photo_box`` with :func:`scaled_box`. Composed cases keep brandkit's provenance record;
    ``reencode`` edits make foreign copies without it.
    """
    spec = _spec(case.brand)
    prompt = compile_prompt(spec, _request(case))
    if _is_bare(case):
        image = _bare_photo(case, spec, (prompt.width, prompt.height))
    else:
        rendered = LocalRenderer(spec).render(RenderCall(prompt=prompt, seed=case.seed)).images[0]
        used = rendered.photo.id if rendered.photo is not None else None
        if case.library_photo and used != case.photo:
            raise CorpusError(f"case {case.id!r}: the renderer chose photo {used!r} for the brief, not {case.photo!r}")
        image = load_image(rendered.data).convert("RGB")
    output_format, quality = "png", None
    for op in case.ops:
        if op["op"] == "reencode":
            output_format, quality = str(op["format"]), op.get("quality")
        elif op["op"] == "resize":
            scale = float(op["scale"])
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        elif op["op"] != "bare_photo":
            image = _apply(image, op, case, spec, prompt)
    if size is not None and max(image.size) > size:
        factor = size / max(image.size)
        target = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.resize(target, Image.Resampling.LANCZOS)
    data = encode_image(image, output_format, None if quality is None else int(quality))
    if case.has_layout:
        record = provenance_record(prompt, "local", LocalRenderer.model, 1, None)
        data = embed_provenance(data, output_format, record)
    return data


def scaled_box(box: Box | None, case_size: tuple[int, int], size: int | None) -> Box | None:
    """``box`` on an image rendered with ``size`` (see :func:`render_case`) from a ``case_size`` canvas."""
    if box is None or size is None or max(case_size) <= size:
        return box
    f = size / max(case_size)
    return Box(x0=round(box.x0 * f), y0=round(box.y0 * f), x1=round(box.x1 * f), y1=round(box.y1 * f))


def case_key(case: GateCase, fingerprint: str, size: int | None) -> str:
    """Content hash of everything that decides a case's bytes."""
    digest = hashlib.sha256(GENERATOR_VERSION.encode())
    payload = {k: v for k, v in case.__dict__.items() if k not in ("photo_box", "hero_box")}
    digest.update(json.dumps(payload, sort_keys=True, default=str).encode("utf-8"))
    digest.update(fingerprint.encode("ascii"))
    digest.update(str(size).encode("ascii"))
    for source in _SOURCES:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:24]


_SUFFIX = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def render_all(
    cases: Sequence[GateCase] | None = None, cache_dir: Path | None = None, size: int | None = None
) -> dict[str, Path]:
    """Render ``cases`` (default: all) into ``cache_dir`` (default: ``<tmp>/brandkit-gate-corpus``), reusing
    files whose content hash is unchanged. Returns case id → image file."""
    chosen = list(cases) if cases is not None else load_cases()
    folder = cache_dir or Path(tempfile.gettempdir()) / "brandkit-gate-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    fingerprints = {b: _spec(b).fingerprint for b in sorted({c.brand for c in chosen})}
    out: dict[str, Path] = {}
    for case in chosen:
        fmt = next((str(op["format"]) for op in case.ops if op["op"] == "reencode"), "png")
        path = folder / f"{case.id}-{case_key(case, fingerprints[case.brand], size)}{_SUFFIX[fmt]}"
        if not path.exists():
            data = render_case(case, size)
            temp = path.with_suffix(path.suffix + ".tmp")
            temp.write_bytes(data)
            temp.replace(path)
        out[case.id] = path
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.support.gate_corpus OUT_DIR [--size N]``: write every image and ``labels.json``."""
    args = list(sys.argv[1:] if argv is None else argv)
    size = None
    if "--size" in args:
        i = args.index("--size")
        size = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 1:
        print("usage: python -m tests.support.gate_corpus OUT_DIR [--size N]", file=sys.stderr)
        return 2
    out = Path(args[0])
    cases = load_cases()
    paths = render_all(cases, out, size)
    labels = [
        {
            "id": c.id,
            "file": paths[c.id].name,
            "brand": c.brand,
            "photo": c.photo,
            "kind": c.kind,
            "label": c.label,
            "reason": c.reason,
            "has_layout": c.has_layout,
            "photo_box": list(c.photo_box.as_tuple()) if c.photo_box else None,
        }
        for c in cases
    ]
    (out / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{len(cases)} images in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
