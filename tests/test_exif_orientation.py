"""Phone photos turned by their EXIF orientation are edited and sent as they are shown.

A JPEG stored 1600×1200 with orientation 6 is shown 1200×1600. Every check reads it upright (``load_image``), but
the mask check compared a mask drawn on the photo as people see it with the stored size and refused it, and the
provider was sent the stored bytes, so the model and the mask could disagree with the checks about which way is up.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.imageio import load_image, orientation, upright, verify_image
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"


def phone_photo(fmt: str = "JPEG", turn: int = 6) -> bytes:
    """Stored 1600×1200 with a dark band on the stored left: shown 1200×1600 with the band on top (turn 6)."""
    image = Image.new("RGB", (1600, 1200), (200, 180, 150))
    ImageDraw.Draw(image).rectangle((0, 0, 399, 1199), fill=(40, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = turn
    exif[0x010F] = "PhoneMaker"  # another tag: dropped with the orientation
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes(), quality=92)
    return out.getvalue()


def bottom_half_mask(width: int, height: int) -> bytes:
    mask = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, height // 2, width, height))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_upright_turns_the_pixels_as_shown_and_keeps_the_format(fmt: str) -> None:
    data = phone_photo(fmt)
    assert verify_image(data)[1:] == (1200, 1600) == load_image(data).size  # the size as shown, both ways
    turned = upright(data)
    with Image.open(io.BytesIO(turned)) as image:
        assert image.format == fmt and image.size == (1200, 1600) and orientation(image) == 1
        assert 0x010F not in image.getexif()  # the camera's tags are not sent on
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels[:300].mean() < 60 and pixels[-300:].mean() > 150  # the band on top, as shown
    plain = Image.new("RGB", (64, 48), (9, 9, 9))
    out = io.BytesIO()
    plain.save(out, "JPEG")
    assert upright(out.getvalue()) == out.getvalue()  # no orientation: as given
    same = phone_photo(turn=1)
    assert upright(same) is same and verify_image(same)[1:] == (1600, 1200)


_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_orientation_only_in_xmp_is_read_as_load_image_turns_it(fmt: str) -> None:
    """Some editors write the orientation in the XMP packet only; Pillow's ``exif_transpose`` (load_image) turns
    the pixels by it, so the size as shown and the bytes sent must follow it too."""
    image = Image.new("RGB", (1600, 1200), (200, 180, 150))
    ImageDraw.Draw(image).rectangle((0, 0, 399, 1199), fill=(40, 40, 40))
    out = io.BytesIO()
    if fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", _XMP)
        image.save(out, "PNG", pnginfo=info)
    else:
        image.save(out, "JPEG", xmp=_XMP.encode(), quality=92)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as opened:
        assert "exif" not in opened.info and orientation(opened) == 6
    assert load_image(data).size == (1200, 1600) == verify_image(data)[1:]  # the two readings agree
    with Image.open(io.BytesIO(upright(data))) as turned:
        assert turned.size == (1200, 1600) and orientation(turned) == 1
        pixels = np.asarray(turned.convert("RGB")).astype(int)
    assert pixels[:300].mean() < 60 and pixels[-300:].mean() > 150  # the band on top, as shown


def test_a_mask_drawn_on_the_photo_as_shown_fits_and_the_edit_is_upright() -> None:
    kit = brandkit.BrandKit(NORTHWIND, provider="local", checks=["technical"])
    data = phone_photo()
    edited = kit.edit(
        data, "Add the headline", headline="Slow mornings", format="portrait", mask=bottom_half_mask(1200, 1600)
    )
    pixels = np.asarray(edited.image.convert("RGB")).astype(int)
    assert edited.image.size == (1024, 1536) and pixels[:100].mean() < 60  # the dark band on top, as shown
    master = edited.prompt.references[0]
    with Image.open(io.BytesIO(master.data)) as sent:
        assert sent.size == (1200, 1600) and orientation(sent) == 1
    with pytest.raises(brandkit.RequestError) as refused:  # a mask of the stored size is the wrong way round now
        kit.edit(data, "x", headline="Slow mornings", format="portrait", mask=bottom_half_mask(1600, 1200))
    assert refused.value.field == "mask" and "1200x1600" in str(refused.value)


def test_openai_is_sent_the_photo_as_shown(openai_server: OpenAIServer) -> None:
    def paint(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (width, height), (240, 236, 228)).save(out, fmt.upper().replace("JPG", "JPEG"))
        return out.getvalue()

    openai_server.image_factory = paint
    kit = brandkit.BrandKit(
        NORTHWIND,
        provider="openai",
        api_key=FAKE_API_KEY,
        base_url=openai_server.url,
        retry=FAST_RETRY,
        checks=["technical"],
    )
    edited = kit.edit(
        phone_photo(),
        "Add the headline",
        headline="Slow mornings",
        format="portrait",
        mask=bottom_half_mask(1200, 1600),
    )
    (record,) = openai_server.records("/images/edits")
    assert not record.validation_errors
    assert record.image_files[0]["sha256"] == edited.prompt.references[0].sha256  # the upright bytes were sent
    # a rotated product photo given as a reference to generate goes upright too
    request = brandkit.AssetRequest(
        brief="A cup", headline="Slow mornings", references=[{"data": phone_photo(), "role": "product"}]
    )
    made = kit.generate(request)
    product = next(ref for ref in made.prompt.references if ref.role == "product")
    with Image.open(io.BytesIO(product.data)) as sent:
        assert sent.size == (1200, 1600) and orientation(sent) == 1
    generate = openai_server.records("/images/edits")[-1]  # references go to the edits endpoint
    assert product.sha256 in [item["sha256"] for item in generate.image_files]


def test_a_heic_photo_is_refused_by_name_not_as_an_unknown_format(tmp_path: Path) -> None:
    """iPhones save HEIC by default; Pillow has no decoder for it here, and the error said only "not a recognised
    image format"."""
    import struct

    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 200)
    kit = brandkit.BrandKit(NORTHWIND, provider="local", checks=["technical"])
    with pytest.raises(brandkit.ImageInputError) as refused:
        kit.validate(heic)
    assert (
        "IMG_0001.HEIC" in str(refused.value)
        and "HEIC/HEIF" in str(refused.value)
        and "JPEG or PNG" in str(refused.value)
    )
    with pytest.raises(brandkit.ImageInputError, match="not a recognised image format"):
        load_image(b"\0" * 64)
