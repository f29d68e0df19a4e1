"""Photo library mode of the local renderer: pick the brand photo that fits the brief, crop it to the hero box.

The local renderer reads the compiled prompt like a model would. When the
spec carries a ``photos:`` library it places a real photograph in the
layout's hero box instead of drawing geometric imagery:

* :func:`choose_photo` scores every photo: each tag found in the brief counts
  :data:`BRIEF_WEIGHT`, in the purpose line :data:`PURPOSE_WEIGHT`; a photo
  that names the requested format, or whose orientation matches the hero box,
  gains :data:`FIT_WEIGHT`. The best score wins; among equal scores the seed
  picks (``seed % ties``), so a run is deterministic and seeds vary the photo.
* :func:`cover_crop` scales the photo to cover the box (Lanczos) and crops
  around its focal point, which always stays inside the box. The seed also
  picks one of 27 small crop variations (:func:`crop_variation`: zoom up to
  12 %, centre moved up to 12 % of the window), so ``n`` images differ.

Everything outside the hero box stays a brand zone drawn by the compose
functions (flat brand background, copy, CTA, logo, a primary band).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image

from brandkit.compile import FENCE_CLOSE, FENCE_OPEN
from brandkit.imageio import load_image
from brandkit.layout import Box
from brandkit.models import CompiledPrompt, PhotoUse
from brandkit.spec.models import BrandSpec
from brandkit.spec.photos import Orientation, Photo

BRIEF_WEIGHT = 2.0
PURPOSE_WEIGHT = 1.0
FIT_WEIGHT = 0.5
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset(
    {
        *("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its"),
        *("of", "on", "or", "our", "the", "their", "this", "that", "to", "with"),
    }
)


@dataclass(frozen=True)
class BriefText:
    """The words the local renderer reads from a compiled prompt: the fenced client brief and the purpose line."""

    brief: str
    purpose: str


@dataclass(frozen=True)
class CropVariation:
    """How one seed varies the crop: a zoom past the cover scale and a shift of the window centre from the focal
    point (shares of the window; the focal point stays inside the crop)."""

    zoom: float = 1.0
    shift: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class PhotoChoice:
    """The chosen photo, its score, the tags that matched, and the crop variation the seed gives it."""

    photo: Photo
    score: float
    matched_tags: tuple[str, ...]
    ties: int
    variation: CropVariation = CropVariation()


def brief_text(prompt: CompiledPrompt) -> BriefText:
    """The client brief (between the prompt's fence lines) and the ``PURPOSE:`` line of ``prompt``."""
    lines = prompt.text.splitlines()
    brief: list[str] = []
    purpose = ""
    inside = False
    for line in lines:
        if line == FENCE_OPEN and not brief:
            inside = True
        elif line == FENCE_CLOSE and inside:
            inside = False
        elif inside:
            brief.append(line)
        elif line.startswith("PURPOSE:") and not purpose:
            purpose = line.removeprefix("PURPOSE:")
    return BriefText(brief="\n".join(brief), purpose=purpose)


def _stem(word: str) -> str:
    """A light plural fold ("cups" → "cup", "glasses" → "glass"), enough to match tags to brief words."""
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def keywords(text: str) -> frozenset[str]:
    """Folded, stemmed words of ``text`` without stop words (``pour-over`` gives ``pour`` and ``over``)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return frozenset(_stem(w) for w in _WORD.findall(folded) if w not in _STOPWORDS)


def box_orientation(box: Box) -> Orientation:
    """``landscape``, ``portrait`` or ``square`` (within 20 %) for a box."""
    ratio = box.width / max(1, box.height)
    if ratio >= 1.2:
        return "landscape"
    if ratio <= 1 / 1.2:
        return "portrait"
    return "square"


def _tag_matches(tag: str, words: frozenset[str]) -> bool:
    parts = keywords(tag)
    return bool(parts) and parts <= words


def score_photo(photo: Photo, text: BriefText, format_name: str, box: Box) -> tuple[float, tuple[str, ...]]:
    """The selection score of ``photo`` for a brief, and the tags that matched (see the module docstring)."""
    brief_words, purpose_words = keywords(text.brief), keywords(text.purpose)
    score = 0.0
    matched: list[str] = []
    seen: set[frozenset[str]] = set()
    for tag in photo.tags:
        key = keywords(tag)
        if key in seen:  # "coach" and "coaches" count once
            continue
        seen.add(key)
        if _tag_matches(tag, brief_words):
            score += BRIEF_WEIGHT
            matched.append(tag)
        elif _tag_matches(tag, purpose_words):
            score += PURPOSE_WEIGHT
            matched.append(tag)
    if format_name in photo.formats:
        score += FIT_WEIGHT
    if photo.orientation != "any" and photo.orientation == box_orientation(box):
        score += FIT_WEIGHT
    return score, tuple(matched)


def choose_photo(spec: BrandSpec, text: BriefText, format_name: str, box: Box, seed: int) -> PhotoChoice | None:
    """The library photo that best fits the brief for this format (``None`` when the spec has no photos)."""
    if not spec.photos:
        return None
    scored = [(photo, *score_photo(photo, text, format_name, box)) for photo in spec.photos]
    best = max(score for _, score, _ in scored)
    ties = [(photo, score, matched) for photo, score, matched in scored if abs(score - best) < 1e-9]
    photo, score, matched = ties[seed % len(ties)]
    return PhotoChoice(
        photo=photo, score=score, matched_tags=matched, ties=len(ties), variation=crop_variation(seed // len(ties))
    )


_ZOOMS = (1.0, 1.06, 1.12)
_SHIFTS_X = (0.0, -0.12, 0.12)
_SHIFTS_Y = (0.0, 0.1, -0.1)


def crop_variation(k: int) -> CropVariation:
    """The ``k``-th of 27 crop variations (``k = 0``: the plain focal-point cover crop). Seeds that pick the same
    photo give different crops, so ``n`` images of one request differ, and the same seed always gives the same."""
    return CropVariation(zoom=_ZOOMS[k % 3], shift=(_SHIFTS_X[(k // 3) % 3], _SHIFTS_Y[(k // 9) % 3]))


def crop_window(
    size: tuple[int, int],
    focal: tuple[float, float],
    target: tuple[int, int],
    variation: CropVariation = CropVariation(),
) -> tuple[float, float, float, float]:
    """The region of a ``size`` image with ``target``'s aspect ratio that covers it, centred on ``focal``
    (shares of width and height) and shifted only as far as needed to stay inside the image.

    A ``variation`` zooms in (``zoom`` > 1: a smaller window) and moves the centre by ``shift`` × the window
    size; shifts below one half keep the focal point inside the window, and so inside the crop.
    """
    if variation.zoom < 1 or not all(abs(s) < 0.5 for s in variation.shift):
        raise ValueError(f"a crop variation needs zoom >= 1 and |shift| < 0.5, got {variation}")
    width, height = size
    tw, th = target
    scale = max(tw / width, th / height) * variation.zoom
    cw, ch = min(width, tw / scale), min(height, th / scale)  # min(): float error may exceed the image
    cx = focal[0] * width + variation.shift[0] * cw
    cy = focal[1] * height + variation.shift[1] * ch
    x0 = max(0.0, min(cx - cw / 2, width - cw))
    y0 = max(0.0, min(cy - ch / 2, height - ch))
    return (x0, y0, x0 + cw, y0 + ch)


def cover_crop(
    image: Image.Image,
    focal: tuple[float, float],
    target: tuple[int, int],
    variation: CropVariation = CropVariation(),
) -> tuple[Image.Image, Box]:
    """``image`` cropped around ``focal`` (with ``variation``) and resampled (Lanczos) to exactly ``target``;
    also the source region used, rounded to whole pixels."""
    window = crop_window(image.size, focal, target, variation)
    out = image.convert("RGB").resize(target, Image.Resampling.LANCZOS, box=window)
    x0, y0, x1, y1 = (round(v) for v in window)
    return out, Box(x0=x0, y0=y0, x1=x1, y1=y1)


def place_photo(canvas: Image.Image, spec: BrandSpec, choice: PhotoChoice, box: Box) -> PhotoUse:
    """Paste the chosen photo, cover-cropped around its focal point, into ``box`` of ``canvas``."""
    photo = choice.photo
    path = spec.asset_path(photo.file)
    data = path.read_bytes()
    image = load_image(data)
    focal = (photo.focal_point.x, photo.focal_point.y)
    cropped, region = cover_crop(image, focal, (box.width, box.height), choice.variation)
    canvas.paste(cropped, (box.x0, box.y0))
    return PhotoUse(
        id=photo.id,
        file=photo.file,
        sha256=hashlib.sha256(data).hexdigest(),
        crop=region.as_tuple(),
        box=box,
        matched_tags=list(choice.matched_tags),
        score=choice.score,
    )


def library_photo(spec: BrandSpec, photo_id: str, sha256: str) -> PhotoChoice | None:
    """The spec's library photo ``photo_id`` as a choice to place again (no variation: its focal-point crop) — when
    the spec still holds it and its file is the one recorded (``sha256``); ``None`` otherwise (a photo since removed
    or replaced: the caller falls back to what the image itself shows)."""
    photo = next((p for p in spec.photos if p.id == photo_id), None)
    if photo is None:
        return None
    try:
        data = spec.asset_path(photo.file).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        return None
    return PhotoChoice(photo=photo, score=0.0, matched_tags=(), ties=0)


def place_product(canvas: Image.Image, data: bytes, box: Box) -> tuple[str, bool]:
    """Paste a caller's product image (a ``product`` reference) into ``box`` of ``canvas``; says how, and whether
    it was fitted whole (a cut-out: the rest of ``box`` shows what it showed before).

    An opaque image is cover-cropped around its centre, like a library photo without a focal point; one with
    transparency (a cut-out packshot) is fitted whole, centred, over what ``box`` already shows, so its transparent
    pixels never show the colours hidden under them."""
    image = load_image(data)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    rgba = image.convert("RGBA") if has_alpha else None
    if rgba is None or rgba.getchannel("A").getextrema()[0] == 255:
        cropped, _ = cover_crop(image, (0.5, 0.5), (box.width, box.height))
        canvas.paste(cropped, (box.x0, box.y0))
        return "cover-cropped at its centre", False
    scale = min(box.width / rgba.width, box.height / rgba.height)
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    fitted = rgba.resize(size, Image.Resampling.LANCZOS)
    x, y = box.x0 + (box.width - size[0]) // 2, box.y0 + (box.height - size[1]) // 2
    area = canvas.crop((x, y, x + size[0], y + size[1])).convert("RGBA")
    canvas.paste(Image.alpha_composite(area, fitted).convert(canvas.mode), (x, y))
    return "fitted whole and centred (it has transparency)", True
