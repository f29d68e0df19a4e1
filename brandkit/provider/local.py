"""The built-in local renderer (``provider="local"``): real on-brand assets, offline.

It reads the same compiled prompt an API model would get and draws a
deterministic asset with Pillow: a flat brand background; in the layout's
hero area either the brand photograph that best matches the brief (when the
spec has a ``photos:`` library — template-based production, see
:mod:`brandkit.provider.photo_library`; a band in the primary colour then
marks the top edge) or geometric imagery in the palette (no library); and —
when the prompt asks the "model" to render them — the exact copy in the brand
font and the logo reference image in its corner. In overlay modes it leaves
those zones clear, exactly as the API model is asked to, and the compose
stage draws them. Edits start from the image being edited (fitted to the format:
cover-cropped, never stretched, when its aspect differs) and redraw only the
copy area — except one of the brand's own images edited into another size,
which is recomposed: its photograph (the photo area its provenance records) is
the hero of the new layout, and the brand zones, copy and logo are drawn again.
A request's product image is the hero of a new image. The photo used is
recorded in ``RenderedImage.photo``; what was done with each reference image in
``RenderResult.notes``.
"""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from brandkit.color import hex_to_rgb
from brandkit.compose import TransparentCanvas, background_color, draw_copy, draw_logo, flattened, zone_color
from brandkit.edit_mask import fitted, keep_outside_mask
from brandkit.errors import RequestError
from brandkit.imageio import encode_image, load_image
from brandkit.layout import Box
from brandkit.models import CompiledPrompt, PhotoUse, ReferenceImage, RenderCall, RenderedImage, RenderResult
from brandkit.provenance import follows_layout, read_provenance_record
from brandkit.provider.local_imagery import draw_imagery, neutral_share
from brandkit.provider.photo_library import (
    PhotoChoice,
    brief_text,
    choose_photo,
    cover_crop,
    library_photo,
    place_photo,
    place_product,
)
from brandkit.spec.models import BrandSpec, ColorRole
from brandkit.spec.modes import DEFAULT_MODE, mode_words

RGB = tuple[int, int, int]


class Recomposed(NamedTuple):
    """An edit into another size drawn as a new layout: the edited image's photograph (``None``: it had none) — or
    the library photo it showed, to crop afresh (``library``) — and the note saying so."""

    photo: Image.Image | None
    note: str
    library: PhotoChoice | None = None


class LocalDrawing(NamedTuple):
    """One image the local renderer drew, the library photo it placed (``None``: none) and what it did with the
    call's reference images (each one used or not, said: nothing is dropped without a word)."""

    image: Image.Image
    photo: PhotoUse | None
    notes: list[str]


class LocalRenderer:
    """Deterministic Pillow renderer implementing :class:`brandkit.provider.base.ImageProvider`."""

    name = "local"
    model = "brandkit-local-1"

    def __init__(self, spec: BrandSpec) -> None:
        self.spec = spec
        self._in_modes: dict[str, LocalRenderer] = {}  # this renderer in a palette mode a prompt names

    def __repr__(self) -> str:
        return f"LocalRenderer(spec={self.spec.name!r})"

    def render(self, call: RenderCall) -> RenderResult:
        """Draw ``call.n`` images; image ``i`` uses seed ``call.seed + i``."""
        started = time.perf_counter()
        images = []
        notes: list[str] = []
        if call.prompt.feedback:  # a model reads it in the prompt; the pictures here come from the seed
            count = len(call.prompt.feedback)
            notes.append(
                f"not applied by the local renderer: the prompt's feedback ({count} note{'s' * (count != 1)}: a "
                "reviewer's request, the last attempt's failures); a model follows it, the local renderer only draws "
                "another seed"
            )
        for i in range(call.n):
            image, photo, drawn = self.draw_with_photo(call.prompt, call.seed + i, call.base_image, call.mask)
            notes += [note for note in drawn if note not in notes]
            fmt = str(call.prompt.params.get("output_format", "png"))
            data = encode_image(image, fmt, call.prompt.params.get("output_compression"))
            images.append(
                RenderedImage(data=data, output_format=fmt, width=image.width, height=image.height, photo=photo)
            )
        return RenderResult(
            images=images,
            provider=self.name,
            model=self.model,
            cost_usd=0.0,
            elapsed_s=time.perf_counter() - started,
            notes=notes,
        )

    def worst_case_cost(self, call: RenderCall) -> float:
        """The local renderer costs nothing."""
        return 0.0

    async def arender(self, call: RenderCall) -> RenderResult:
        """Async twin of :meth:`render` (runs in a worker thread)."""
        return await asyncio.to_thread(self.render, call)

    def draw(self, prompt: CompiledPrompt, seed: int, base_image: bytes | None = None) -> Image.Image:
        """One image for ``prompt`` (RGBA when a transparent background is asked, else RGB)."""
        return self.draw_with_photo(prompt, seed, base_image).image

    def draw_with_photo(
        self, prompt: CompiledPrompt, seed: int, base_image: bytes | None = None, mask: bytes | None = None
    ) -> LocalDrawing:
        """:meth:`draw`, also returning the library photo placed in the hero box and notes on the references.

        A ``product`` reference is the hero of a new image: placed in the layout's hero box (instead of a library
        photo); ``style`` and ``other`` references — and product images beyond the first, or in an edit — are not
        applied, and a note says so. One of the brand's images edited into another size is recomposed (see
        :meth:`_recomposed`). An edit (a base image or a ``master`` reference) with a ``mask`` changes only
        the mask's fully transparent pixels, as the API's convention says (:mod:`brandkit.edit_mask`); a mask
        without an image to edit is refused, as the API refuses it. A prompt compiled in a palette mode of the spec
        (``prompt.spec_mode``: a request's ``palette_mode``, an edit of an asset made in it) is drawn in that
        mode's colours; an edit into another mode than the image's (a re-theme) is recomposed in the new colours."""
        if prompt.spec_mode != self.spec.mode:
            mode = prompt.spec_mode if prompt.spec_mode is not None else DEFAULT_MODE
            if mode not in self._in_modes:
                self._in_modes[mode] = LocalRenderer(self.spec.for_mode(mode))
            return self._in_modes[mode].draw_with_photo(prompt, seed, base_image, mask)
        spec = self.spec
        layout = prompt.layout
        master = base_image or next((r.data for r in prompt.references if r.role == "master"), None)
        transparent = prompt.params.get("background") == "transparent"
        products = [r for r in prompt.references if r.role == "product"]
        notes = [
            f"not applied by the local renderer: the {r.role} image {r.name!r} (Image {r.index}); a model follows it"
            for r in prompt.references
            if r.role in ("style", "other")
        ]
        recomposed: Recomposed | None = None
        if master is not None:
            notes += [
                f"not applied by the local renderer: the product image {r.name!r} (Image {r.index}) in an edit, which "
                "keeps the image being edited"
                for r in products
            ]
            original = load_image(master)
            recomposed = self._recomposed(master, original, prompt) if mask is None else None
            if recomposed is None:
                if transparent:
                    image = self._transparent_edit(original, prompt)
                else:  # an image with transparency is flattened onto the layout's background, not its hidden colours
                    original = flattened(original, prompt.background_hex)
                    image = fitted(original, (prompt.width, prompt.height))
                    repaint: RGB | None = zone_color(image, spec, layout.copy_box)
                    draw_copy(image, spec, layout, prompt.copy_block, repaint=repaint)
                return LocalDrawing(image if mask is None else keep_outside_mask(image, original, mask), None, notes)
            notes.append(recomposed.note)
        elif mask is not None:
            raise RequestError("mask: a mask needs an image to edit", field="mask")
        bg = background_color(spec, prompt.background_tone)
        drawn = [*notes]
        image, photo, opaque = self._new_image(prompt, seed, bg, recomposed, products, drawn, card=False)
        neutrals = spec.palette.neutrals
        delivered = None if transparent or opaque is not None else self._delivered(image, prompt)
        if delivered is not None and neutral_share(delivered, neutrals.chroma) > neutrals.max_share:
            # no photograph, and the image is over the palette check's neutral limit: the imagery on a card of the
            # brand colour (a palette of one colour among neutrals, a UI theme's, draws a mostly neutral scene)
            drawn = [*notes]
            image, photo, opaque = self._new_image(prompt, seed, bg, recomposed, products, drawn, card=True)
        notes = drawn
        if transparent:  # the flat background becomes transparent; subject, copy and logo stay opaque
            rgba = image.convert("RGBA")
            flat = np.all(np.asarray(image) == np.asarray(bg, dtype=np.uint8), axis=-1)
            if opaque is not None:  # a photograph stays opaque, even where a pixel equals the background
                flat[opaque.y0 : opaque.y1, opaque.x0 : opaque.x1] = False
            alpha = np.where(flat, 0, 255).astype(np.uint8)
            rgba.putalpha(Image.fromarray(alpha, "L"))
            return LocalDrawing(rgba, photo, notes)
        return LocalDrawing(image, photo, notes)

    def _new_image(
        self,
        prompt: CompiledPrompt,
        seed: int,
        bg: RGB,
        recomposed: Recomposed | None,
        products: list[ReferenceImage],
        notes: list[str],
        *,
        card: bool,
    ) -> tuple[Image.Image, PhotoUse | None, Box | None]:
        """A new image on the ``bg`` ground: the hero (:meth:`_hero`; its imagery on a card of the brand colour when
        ``card``), the copy when the prompt asks the model to render it, the logo reference; with the library photo
        placed and the box that stays opaque on a transparent background."""
        image = Image.new("RGB", (prompt.width, prompt.height), bg)
        photo, opaque = self._hero(image, prompt, seed, bg, recomposed, products, notes, card)
        self._draw_zones(image, prompt, here=True)
        return image, photo, opaque

    @staticmethod
    def _zones(prompt: CompiledPrompt, *, here: bool) -> tuple[bool, str | None]:
        """Whether the copy, and which logo variant, the prompt leaves to this renderer (``here``: asked to render
        them) or to the compose stage (not ``here``: the overlays)."""
        logo = prompt.logo_variant if (prompt.logo_mode == "reference") == here else None
        return (prompt.text_mode == "render") == here, logo

    def _draw_zones(self, image: Image.Image, prompt: CompiledPrompt, *, here: bool) -> None:
        """Draw the copy and the logo :meth:`_zones` leaves to this renderer (``here``) or to the compose stage."""
        copy, logo = self._zones(prompt, here=here)
        if copy:
            draw_copy(image, self.spec, prompt.layout, prompt.copy_block)
        if logo:
            draw_logo(image, self.spec, prompt.layout, self.spec.logo(logo))

    def _delivered(self, image: Image.Image, prompt: CompiledPrompt) -> Image.Image:
        """``image`` as the checks will see it: the copy and logo an overlay prompt leaves to the compose stage
        drawn on a copy of it (``image`` itself, not copied, when the renderer drew both)."""
        copy, logo = self._zones(prompt, here=False)
        if not (copy or logo):
            return image
        scratch = image.copy()
        self._draw_zones(scratch, prompt, here=False)
        return scratch

    def _hero(
        self,
        image: Image.Image,
        prompt: CompiledPrompt,
        seed: int,
        bg: RGB,
        recomposed: Recomposed | None,
        products: list[ReferenceImage],
        notes: list[str],
        card: bool,
    ) -> tuple[PhotoUse | None, Box | None]:
        """Fill the layout's hero box of ``image``: an edited ad's own photograph (``recomposed``), else the request's
        first product image, else the library photo the brief picks, else geometric imagery; the primary band
        above a photograph. Returns the library photo placed and the box that stays opaque on a transparent
        background (a photograph); says in ``notes`` what it did with the product images."""
        hero = prompt.layout.hero_box
        if hero is not None and (hero.width <= 0 or hero.height <= 0):
            hero = None
        if recomposed is not None:
            if recomposed.library is not None and hero is not None:  # the photograph itself, cropped for this area
                self._primary_band(image, prompt, bg)
                placed = place_photo(image, self.spec, recomposed.library, hero)
                return placed, placed.box
            if recomposed.photo is None or hero is None:
                if hero is not None:
                    draw_imagery(image, self.spec, hero, bg, seed, card=card)
                return None, None
            self._primary_band(image, prompt, bg)
            image.paste(cover_crop(recomposed.photo, (0.5, 0.5), (hero.width, hero.height))[0], (hero.x0, hero.y0))
            return None, hero
        if products:
            if hero is None:
                notes += [
                    f"not applied by the local renderer: the product image {r.name!r} (Image {r.index}); the layout "
                    "has no hero area"
                    for r in products
                ]
                return None, None
            self._primary_band(image, prompt, bg)
            how, whole = place_product(image, products[0].data, hero)
            notes.append(
                f"the product image {products[0].name!r} (Image {products[0].index}) is the hero, {how}: the local "
                "renderer lays the brand out around it (a model stages the product in a new scene)"
            )
            notes += [
                f"not applied by the local renderer: the product image {r.name!r} (Image {r.index}); only the first "
                "product image is placed"
                for r in products[1:]
            ]
            return None, None if whole else hero  # a cut-out's surround is background; a photograph stays opaque
        if hero is not None and self.spec.photos:
            choice = choose_photo(self.spec, brief_text(prompt), prompt.format_name, hero, seed)
            if choice is not None:
                self._primary_band(image, prompt, bg)
                photo = place_photo(image, self.spec, choice, hero)
                return photo, photo.box
            return None, None
        if hero is not None:
            draw_imagery(image, self.spec, hero, bg, seed, card=card)
        return None, None

    def _recomposed(self, data: bytes, original: Image.Image, prompt: CompiledPrompt) -> Recomposed | None:
        """An edit of one of this brand's images into another size or another palette mode (a re-theme),
        recomposed rather than fitted: its photograph becomes the hero of the new layout — the library photo its
        embedded provenance names, cropped afresh around its focal point (when the spec still holds that file),
        else the photo area the provenance records, cut from the image —, and the brand zones, copy and logo are
        drawn again (in the prompt's colours). ``None`` (the image is fitted, its copy area redrawn) when the size
        and mode are kept, or the image carries no readable provenance of this brand at its present size, or a
        record that places no photo area (the image kept its own composition)."""
        size = (prompt.width, prompt.height)
        record = read_provenance_record(data).record
        if record is None or record.spec_name != self.spec.name or record.size != "{}x{}".format(*original.size):
            return None
        rethemed = record.spec_mode != prompt.spec_mode
        if (original.size == size and not rethemed) or not follows_layout(record):  # kept its own composition
            return None
        hero = prompt.layout.hero_box
        has_hero = hero is not None and hero.width > 0 and hero.height > 0
        library = library_photo(self.spec, record.photo.id, record.photo.sha256) if record.photo and has_hero else None
        how = []
        if original.size != size:
            how.append(
                f"into the {prompt.format_name} layout ({original.width}x{original.height} → {size[0]}x{size[1]})"
            )
        if rethemed:
            how.append(f"in {mode_words(prompt.spec_mode)} (it was made in {mode_words(record.spec_mode)})")
        change = f"recomposed {' and '.join(how)}:"
        if library is not None:
            where = f"its photograph, the library photo {library.photo.id!r}, cropped afresh for the new hero area,"
            return Recomposed(None, f"{change} {where} the brand zones, copy and logo drawn again", library)
        box = record.photo_box
        inside = box is not None and 0 <= box[0] < box[2] <= original.width and 0 <= box[1] < box[3] <= original.height
        photo = None
        if box is not None and inside:
            photo = flattened(original, prompt.background_hex).crop((box[0], box[1], box[2], box[3]))
        if photo is None:
            where = "it has no photograph;"
        elif not has_hero:
            where, photo = (
                f"its photograph (the provenance's photo area {box}) left out: the layout has no hero area;",
                None,
            )
        else:
            where = f"its photograph (the provenance's photo area {box}) placed in the new hero area,"
        note = (
            f"{change} {where} the brand zones, copy and logo drawn again (fitting the whole image would cut its copy "
            "and leave pieces of it)"
        )
        return Recomposed(photo, note)

    def _transparent_edit(self, loaded: Image.Image, prompt: CompiledPrompt) -> Image.Image:
        """An edit that keeps a transparent background: the copy areas are cleared to transparent (no panel is
        painted over the old copy) and the new copy is drawn opaque (:class:`~brandkit.compose.TransparentCanvas`)."""
        layout = prompt.layout
        pixels = np.array(fitted(loaded.convert("RGBA"), (prompt.width, prompt.height)))
        for box in (layout.copy_box, layout.disclaimer_box):
            if box is not None:
                pixels[box.y0 : box.y1, box.x0 : box.x1, 3] = 0
        canvas = TransparentCanvas(Image.fromarray(pixels, "RGBA"), prompt.background_hex)
        draw_copy(canvas.canvas, self.spec, layout, prompt.copy_block)
        return canvas.result()

    def _primary_band(self, image: Image.Image, prompt: CompiledPrompt, bg: RGB) -> None:
        """A band in the primary colour along the top edge (half the margin high, so the primary colour is
        present even when the photo holds none of it), kept clear of the logo's clear space and the copy."""
        primary = [hex_to_rgb(c.hex) for c in self.spec.palette.by_role(ColorRole.primary)]
        if not primary or primary[0] == bg:
            return
        layout = prompt.layout
        bottom = layout.margin // 2
        for box in layout.protected_boxes():
            if box.y0 < bottom:
                bottom = box.y0
        if bottom > 0:
            ImageDraw.Draw(image).rectangle((0, 0, image.width - 1, bottom - 1), fill=primary[0])
