"""Image size and parameter rules of the target models.

One table, used by the spec (formats), the compiler (parameters) and the
OpenAI provider (a last local check before anything is sent).
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD_SIZES: frozenset[tuple[int, int]] = frozenset({(1024, 1024), (1536, 1024), (1024, 1536)})


@dataclass(frozen=True)
class ModelRules:
    """What one image model accepts."""

    name: str
    arbitrary_sizes: bool
    transparent_background: bool
    input_fidelity: bool
    max_reference_images: int = 16

    def size_problem(self, width: int, height: int) -> str | None:
        """Return why ``width``x``height`` is not allowed for this model, or ``None`` when it is."""
        if width <= 0 or height <= 0:
            return f"{width}x{height}: edges must be positive"
        if not self.arbitrary_sizes:
            if (width, height) in STANDARD_SIZES:
                return None
            allowed = ", ".join(f"{w}x{h}" for w, h in sorted(STANDARD_SIZES))
            return f"{width}x{height}: {self.name} only accepts {allowed}"
        if width % 16 or height % 16:
            return f"{width}x{height}: both edges must be multiples of 16"
        if max(width, height) > 3840:
            return f"{width}x{height}: the long edge must be at most 3840 px"
        if max(width, height) > 3 * min(width, height):
            return f"{width}x{height}: the aspect ratio must be at most 3:1"
        pixels = width * height
        if not 655_360 <= pixels <= 8_294_400:
            return f"{width}x{height}: total pixels {pixels:,} must be between 655,360 and 8,294,400"
        return None


_GPT_IMAGE_2 = ModelRules("gpt-image-2", arbitrary_sizes=True, transparent_background=True, input_fidelity=False)

MODEL_RULES: dict[str, ModelRules] = {
    "gpt-image-2": _GPT_IMAGE_2,
    "gpt-image-2-2026-04-21": ModelRules(
        "gpt-image-2-2026-04-21", arbitrary_sizes=True, transparent_background=True, input_fidelity=False
    ),
    "gpt-image-1.5": ModelRules(
        "gpt-image-1.5", arbitrary_sizes=False, transparent_background=True, input_fidelity=True
    ),
    "gpt-image-1": ModelRules("gpt-image-1", arbitrary_sizes=False, transparent_background=True, input_fidelity=True),
    "gpt-image-1-mini": ModelRules(
        "gpt-image-1-mini", arbitrary_sizes=False, transparent_background=True, input_fidelity=True
    ),
}


def rules_for(model: str) -> ModelRules:
    """Rules for ``model``; unknown names get gpt-image-2's rules only when they start with ``gpt-image-2``."""
    if model in MODEL_RULES:
        return MODEL_RULES[model]
    if model.startswith("gpt-image-2"):
        return ModelRules(model, arbitrary_sizes=True, transparent_background=True, input_fidelity=False)
    return ModelRules(model, arbitrary_sizes=False, transparent_background=False, input_fidelity=True)
