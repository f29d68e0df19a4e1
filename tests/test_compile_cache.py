"""The compiler's memo of reference images and forbidden-term answers: same output, never stale."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

import brandkit
from brandkit.errors import ForbiddenContentError, RequestError
from brandkit.models import AssetRequest, ReferenceInput

REQUEST = dict(brief="A ceramic cup of coffee on an oak table", headline="Slow mornings", cta="Order ahead")


def _png(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (*color, 255)).save(out, "PNG")
    return out.getvalue()


def test_the_variants_of_a_plan_share_one_copy_of_the_logo(northwind: brandkit.BrandSpec) -> None:
    first = brandkit.compile(northwind, AssetRequest(**REQUEST))  # type: ignore[arg-type]
    second = brandkit.compile(northwind, AssetRequest(**{**REQUEST, "headline": "Fresh every day"}))  # type: ignore[arg-type]
    logo_a, logo_b = first.references[0], second.references[0]
    assert logo_a.role == logo_b.role == "logo"
    assert logo_a.data is logo_b.data  # one buffer, not one per variant
    assert logo_a.sha256 == hashlib.sha256(logo_a.data).hexdigest()


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
