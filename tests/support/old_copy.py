"""An image provider that leaves an edited ad's old headline on the image: what a model asked to change the
headline can do (draw the new one and keep the old). Used by ``tests/test_repeated_copy.py`` and
``benchmarks/bench_repeated_copy.py``."""

from __future__ import annotations

from brandkit.imageio import encode_image, load_image
from brandkit.models import RenderCall, RenderResult
from brandkit.provider.local import LocalRenderer
from brandkit.spec.models import BrandSpec


class KeepsOldHeadline:
    """Edits like the local renderer, then pastes the old headline's box of the edited ad into the photo area."""

    name = "keeps-old-headline"
    model = "test"

    def __init__(self, spec: BrandSpec, old: bytes, box: tuple[int, int, int, int]) -> None:
        self.inner = LocalRenderer(spec)
        self.old = load_image(old).convert("RGB").crop(box)

    def render(self, call: RenderCall) -> RenderResult:
        result = self.inner.render(call)
        image = load_image(result.images[0].data).convert("RGB")
        hero = call.prompt.layout.hero_box
        if hero is not None:
            image.paste(self.old.resize((min(self.old.width, hero.width), self.old.height)), (hero.x0, hero.y0))
        edited = result.images[0].model_copy(update={"data": encode_image(image, "png", None)})
        return result.model_copy(update={"images": [edited]})

    async def arender(self, call: RenderCall) -> RenderResult:
        return self.render(call)

    def worst_case_cost(self, call: RenderCall) -> float:
        return 0.0
