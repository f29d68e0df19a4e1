"""brandkit: brand-safe AI image generation.

Load a brand spec, compile constrained prompts, generate with OpenAI or the
built-in local renderer, and validate every output before it is returned::

    import brandkit
    spec = brandkit.load_spec("brand_specs/northwind")
    kit = brandkit.BrandKit(spec, provider="local")
    asset = kit.generate(brandkit.AssetRequest(brief="...", headline="...", format="square"))
    asset.save("out/hero.png")
"""

from __future__ import annotations

__version__ = "0.1.0"
