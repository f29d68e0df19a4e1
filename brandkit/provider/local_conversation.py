"""Offline conversation turns: :class:`LocalConversationProvider` implements
:class:`~brandkit.provider.conversation.ConversationProvider` on top of the local renderer.

Each turn draws the turn's compiled prompt with :class:`~brandkit.provider.local.LocalRenderer` (deterministic)
and applies the edits the conversation has accumulated: the previous response's edits (found by
``previous_response_id``) plus what this turn's instruction asks, parsed by
:func:`brandkit.provider.local_instructions.parse_instruction` (the list of what it understands is there). An
instruction it does not understand goes into :attr:`TurnResult.notes` (``not understood by the local renderer:
…``), never silently dropped. A repair attempt (the call's prompt carries the checks' feedback) drops an
off-brand background colour this turn asked for, and says so.

Response ids are deterministic (a hash of the previous id and the call), so the same conversation gives the same
ids and images. The responses' edits are kept by this provider object (no global state). Partial images are the
final image progressively less blurred, ``tool.partial_images`` of them, reported through ``on_partial`` before
the turn returns. Usage is zero and the cost 0. :meth:`arespond` runs :meth:`respond` in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from brandkit.color import hex_to_rgb
from brandkit.errors import InvalidParameterError
from brandkit.imageio import encode_image
from brandkit.layout import Box
from brandkit.models import CompiledPrompt, RenderedImage
from brandkit.provider.conversation import PartialCallback, PartialImage, TurnCall, TurnResult, TurnUsage
from brandkit.provider.local import LocalRenderer
from brandkit.provider.local_instructions import LocalEdits, ParsedInstruction, parse_instruction
from brandkit.spec.models import BrandSpec

__all__ = ["LocalConversationProvider"]

_WARM_STEP = 3  # red up, blue down, per warmth step (hero area)
_BRIGHT_STEP = 0.08  # brightness factor per step
_SHIFT_STEP = 0.08  # share of the hero area per move step
_SCALE_STEP = 0.15  # per size step


@dataclass(frozen=True)
class _Stored:
    edits: LocalEdits
    copy: tuple[str | None, str | None, str | None]


class LocalConversationProvider:
    """Offline :class:`~brandkit.provider.conversation.ConversationProvider` (deterministic, free)."""

    name = "local"
    model = "brandkit-local-1"

    def __init__(self, spec: BrandSpec) -> None:
        self.spec = spec
        self._renderer = LocalRenderer(spec)
        self._responses: dict[str, _Stored] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalConversationProvider(spec={self.spec.name!r}, responses={len(self._responses)})"

    def worst_case_cost(self, call: TurnCall) -> float:
        """A local turn costs nothing."""
        return 0.0

    def edits_of(self, response_id: str) -> LocalEdits:
        """The edits in force after response ``response_id`` (raises :class:`~brandkit.InvalidParameterError`
        for an id this provider did not answer)."""
        return self._previous(response_id).edits

    def _previous(self, response_id: str | None) -> _Stored:
        if response_id is None:
            return _Stored(LocalEdits(), (None, None, None))
        with self._lock:
            stored = self._responses.get(response_id)
        if stored is None:
            raise InvalidParameterError(
                f"previous_response_id {response_id!r} is not a response of this local conversation provider",
                code="previous_response_not_found",
                provider=self.name,
            )
        return stored

    def respond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        """Answer one turn (see the module docstring); ``on_partial`` gets each partial image first."""
        started = time.perf_counter()
        previous = self._previous(call.previous_response_id)
        parsed = parse_instruction(call.instruction, previous.edits, self._palette())
        block = call.prompt.copy_block
        copy = (block.headline, block.subhead, block.cta)
        notes = [f"not understood by the local renderer: {clause!r}" for clause in parsed.not_understood]
        notes += [f"not applied by the local renderer: {why}" for why in parsed.not_applied]
        if parsed.language is not None and copy == previous.copy:
            notes.append(
                f"the local renderer cannot translate: give the {parsed.language} copy with the turn "
                "(headline=…, subhead=…, cta=…); the copy is unchanged"
            )
        edits = self._repair(call, previous.edits, parsed, notes)
        if hero_box(call.prompt) is None and (
            edits.warmth or edits.brightness or edits.scale or edits.shift_x or edits.shift_y
        ):
            notes.append(
                "not applied by the local renderer: this format has no hero area to warm, light, move or scale"
            )
        response_id = self._response_id(call)
        image = self._draw(call, edits, notes)
        fmt = call.tool.output_format
        data = encode_image(image, fmt, call.tool.output_compression)
        if on_partial is not None:
            for index, partial in enumerate(self._partials(image, call.tool.partial_images, fmt)):
                on_partial(
                    PartialImage(
                        index=index, data=partial, output_format=fmt, response_id=response_id, attempt=call.attempt
                    )
                )
        with self._lock:
            self._responses[response_id] = _Stored(edits, copy)
        applied = parsed.applied or ["nothing to change"]
        return TurnResult(
            response_id=response_id,
            images=[RenderedImage(data=data, output_format=fmt, width=image.width, height=image.height)],
            provider=self.name,
            model=self.model,
            usage=TurnUsage(),
            cost_usd=0.0,
            revised_prompt="local edits: "
            + "; ".join(applied)
            + f" (in force: {', '.join(edits.describe()) or 'none'})",
            partial_count=call.tool.partial_images if on_partial is not None else 0,
            elapsed_s=time.perf_counter() - started,
            notes=notes,
        )

    async def arespond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        """Async twin of :meth:`respond` (the same code, in a worker thread; ``on_partial`` is called there)."""
        return await asyncio.to_thread(self.respond, call, on_partial)

    # --- internals -------------------------------------------------------------------------------------------

    def _palette(self) -> dict[str, str]:
        return {c.name.lower(): c.hex for c in self.spec.palette.colors}

    def _repair(self, call: TurnCall, before: LocalEdits, parsed: ParsedInstruction, notes: list[str]) -> LocalEdits:
        """On a repair attempt (the checks' feedback is in the prompt), undo this turn's colour changes — an
        off-brand background, a warmth or brightness step — as the feedback asks for the brand colours, and say
        so. Moves and sizes are kept."""
        edits = parsed.edits
        if call.attempt <= 1 or not call.prompt.feedback:
            return edits
        brand = {c.hex.upper() for c in self.spec.palette.colors}
        dropped = []
        if edits.background != before.background and edits.background not in brand:
            dropped.append(f"the off-brand background {edits.background}")
            edits = replace(edits, background=before.background)
        if edits.warmth != before.warmth:
            dropped.append("the warmth change")
            edits = replace(edits, warmth=before.warmth)
        if edits.brightness != before.brightness:
            dropped.append("the brightness change")
            edits = replace(edits, brightness=before.brightness)
        if dropped:
            notes.append(
                f"repair (attempt {call.attempt}): {', '.join(dropped)} asked in this turn was dropped "
                "(the brand checks' feedback asks for the brand colours)"
            )
        return edits

    @staticmethod
    def _response_id(call: TurnCall) -> str:
        key = {
            "previous": call.previous_response_id,
            "conversation": call.conversation_id,
            "instruction": call.instruction,
            "input": call.input_text,
            "prompt": call.prompt.prompt_hash,
            "attempt": call.attempt,
            "seed": call.seed,
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()
        return f"resp_local_{digest[:24]}"

    def _draw(self, call: TurnCall, edits: LocalEdits, notes: list[str]) -> Image.Image:
        """The turn's image: the compiled prompt drawn (the notes on its reference images said on the first turn,
        the one they are sent with), then ``edits`` applied."""
        prompt = call.prompt
        image, _, drawn = self._renderer.draw_with_photo(prompt, call.seed)
        if call.previous_response_id is None:
            notes += [note for note in drawn if note not in notes]
        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        rgb = image.convert("RGB")
        if edits.background is not None:
            rgb = _recolor_background(rgb, prompt, edits.background)
        hero = hero_box(prompt)
        if hero is not None:
            rgb.paste(_edit_hero(rgb.crop(hero.as_tuple()), edits, _fill(prompt, edits)), (hero.x0, hero.y0))
        if alpha is None:
            return rgb
        out = rgb.convert("RGBA")
        out.putalpha(alpha)
        return out

    @staticmethod
    def _partials(image: Image.Image, count: int, fmt: str) -> list[bytes]:
        """``count`` previews, each less blurred than the one before (the last is still softer than the final)."""
        out = []
        for i in range(count):
            radius = 24.0 * (count - i) / count
            preview = image.filter(ImageFilter.GaussianBlur(radius))
            out.append(encode_image(preview, fmt, None))
        return out


def _fill(prompt: CompiledPrompt, edits: LocalEdits) -> tuple[int, int, int]:
    return hex_to_rgb(edits.background or prompt.background_hex)


def _recolor_background(image: Image.Image, prompt: CompiledPrompt, color: str) -> Image.Image:
    """The flat brand background (pixels of exactly its colour) painted ``color``."""
    pixels = np.asarray(image).copy()
    flat = np.all(pixels == np.asarray(hex_to_rgb(prompt.background_hex), dtype=np.uint8), axis=-1)
    pixels[flat] = np.asarray(hex_to_rgb(color), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _edit_hero(hero: Image.Image, edits: LocalEdits, fill: tuple[int, int, int]) -> Image.Image:
    """The hero area's content scaled, moved, warmed and brightened as ``edits`` say."""
    w, h = hero.size
    out = hero
    if edits.scale:
        factor = (1 + _SCALE_STEP) ** edits.scale
        sw, sh = max(1, round(w * factor)), max(1, round(h * factor))
        scaled = hero.resize((sw, sh), Image.Resampling.LANCZOS)
        out = Image.new("RGB", (w, h), fill)
        out.paste(scaled, ((w - sw) // 2, (h - sh) // 2))
    if edits.shift_x or edits.shift_y:
        moved = Image.new("RGB", (w, h), fill)
        moved.paste(out, (round(edits.shift_x * _SHIFT_STEP * w), round(edits.shift_y * _SHIFT_STEP * h)))
        out = moved
    if edits.warmth:
        arr = np.asarray(out, dtype=np.int16).copy()
        arr[..., 0] += _WARM_STEP * edits.warmth
        arr[..., 2] -= _WARM_STEP * edits.warmth
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    if edits.brightness:
        out = ImageEnhance.Brightness(out).enhance(1 + _BRIGHT_STEP * edits.brightness)
    return out


def hero_box(prompt: CompiledPrompt) -> Box | None:
    """The area the local turns edit (the layout's hero box), ``None`` when the format has none."""
    box = prompt.layout.hero_box
    return box if box is not None and box.width > 0 and box.height > 0 else None
