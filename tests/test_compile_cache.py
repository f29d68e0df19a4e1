"""The compiler's memo of reference images and forbidden-term answers: same output, never stale."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import brandkit
from brandkit.compile import ReferenceImageCache, references
from brandkit.errors import ForbiddenContentError, RequestError
from brandkit.models import AssetRequest, ReferenceInput

REQUEST = dict(brief="A ceramic cup of coffee on an oak table", headline="Slow mornings", cta="Order ahead")


def _png(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (*color, 255)).save(out, "PNG")
    return out.getvalue()


def test_the_variants_of_a_plan_share_one_copy_of_the_logo(northwind: brandkit.BrandSpec) -> None:
    cache = ReferenceImageCache()
    first = brandkit.compile(northwind, AssetRequest(**REQUEST), references_cache=cache)  # type: ignore[arg-type]
    other = AssetRequest(**{**REQUEST, "headline": "Fresh every day"})  # type: ignore[arg-type]
    second = brandkit.compile(northwind, other, references_cache=cache)
    logo_a, logo_b = first.references[0], second.references[0]
    assert logo_a.role == logo_b.role == "logo"
    assert logo_a.data is logo_b.data  # one buffer, not one per variant
    assert logo_a.sha256 == hashlib.sha256(logo_a.data).hexdigest()
    assert len(cache) == 1
    alone = brandkit.compile(northwind, other)  # no cache, no kit: decoded now, a buffer of its own
    assert alone.references[0].data == logo_a.data and alone.references[0].data is not logo_a.data


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the reference images fully decoded from now on (the real decoder still runs)."""
    decoded: list[str] = []
    real = references.provider_image

    def counted(data: bytes, name: str) -> Any:
        decoded.append(name)
        return real(data, name)

    monkeypatch.setattr(references, "provider_image", counted)
    return decoded


def test_two_compiles_through_one_cache_decode_the_logo_once(
    northwind: brandkit.BrandSpec, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    decoded = _counting_decodes(monkeypatch)
    product = tmp_path / "product.png"
    product.write_bytes(_png((120, 80, 60), (64, 64)))
    request = AssetRequest(**REQUEST, references=[ReferenceInput(path=str(product), role="product")])  # type: ignore[arg-type]
    cache = ReferenceImageCache()
    for _ in range(2):
        prompt = brandkit.compile(northwind, request, references_cache=cache)
        assert [r.role for r in prompt.references] == ["logo", "product"]
    assert len(decoded) == 2 and decoded[1] == str(product)  # the logo and the product, once each
    brandkit.compile(northwind, request)
    brandkit.compile(northwind, request)
    assert len(decoded) == 6  # without a cache every compile decodes every reference: still correct


def test_a_kit_owns_its_cache_and_two_kits_share_nothing(
    northwind: brandkit.BrandSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = _counting_decodes(monkeypatch)
    first = brandkit.BrandKit(northwind, provider="local", moderator=None, checks=["technical"], signer=None)
    second = brandkit.BrandKit(northwind, provider="local", moderator=None, checks=["technical"], signer=None)
    request = AssetRequest(**REQUEST)  # type: ignore[arg-type]
    one, two = first.compile(request), first.compile(request)
    assert len(decoded) == 1 and one.references[0].data is two.references[0].data
    assert first.resources.memo.size(references.TABLE) == 1
    assert second.resources.memo.size(references.TABLE) == 0  # nothing of the first kit's is visible here
    three = second.compile(request)
    assert len(decoded) == 2 and three.references[0].data is not one.references[0].data
    assert ReferenceImageCache.active() is None  # outside a kit's call no store is active
    shared = brandkit.BrandKit(
        northwind, provider="local", moderator=None, checks=["technical"], signer=None, resources=first.resources
    )
    shared.compile(request)
    assert len(decoded) == 2  # a kit given the first kit's resources shares its cache


def test_a_logo_changed_on_disk_is_read_and_checked_again(root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "northwind"
    shutil.copytree(root / "brand_specs" / "northwind", folder)
    spec = brandkit.load_spec(folder)
    before = brandkit.compile(spec, AssetRequest(**REQUEST)).references[0]  # type: ignore[arg-type]
    logo = folder / "logos" / before.name.split("/")[-1]
    with Image.open(logo) as image:
        size = image.size
    logo.write_bytes(_png((10, 200, 30), size))
    after = brandkit.compile(spec, AssetRequest(**REQUEST)).references[0]  # type: ignore[arg-type]
    assert after.data == logo.read_bytes() and after.sha256 != before.sha256


def test_a_broken_reference_is_refused_every_time(northwind: brandkit.BrandSpec, tmp_path: Path) -> None:
    good = tmp_path / "product.png"
    good.write_bytes(_png((120, 80, 60), (64, 64)))
    bad = tmp_path / "broken.png"
    bad.write_bytes(good.read_bytes()[:40])
    for _ in range(2):
        prompt = brandkit.compile(northwind, AssetRequest(brief="x", references=[ReferenceInput(path=str(good))]))
        assert prompt.references[-1].data == good.read_bytes()
        with pytest.raises(RequestError, match="broken.png"):
            brandkit.compile(northwind, AssetRequest(brief="x", references=[ReferenceInput(path=str(bad))]))


def test_forbidden_content_is_refused_every_time(northwind: brandkit.BrandSpec) -> None:
    term = northwind.forbidden.terms[0]
    found = []
    for _ in range(2):
        with pytest.raises(ForbiddenContentError) as caught:
            brandkit.compile(northwind, AssetRequest(brief=f"A cup of coffee, {term}!"))
        found.append([str(m) for m in caught.value.matches])
    assert found[0] == found[1] and found[0]
