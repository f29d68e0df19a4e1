"""Fuzzing image input: every image brandkit reads is decoded safely or refused with ImageInputError.

:func:`brandkit.imageio.load_image` is fed random bytes, real images in every format and mode Pillow can
write (then truncated or with bytes flipped), headers that declare huge dimensions in a tiny file
(PNG, GIF, BMP, JPEG), decompression bombs, 16-bit, CMYK, animated GIF/WebP/APNG, EXIF orientations, wrong
extensions, empty files, folders and device files. The answer must be an 8-bit RGB/RGBA image within
``MAX_PIXELS`` or an :class:`~brandkit.ImageInputError` — never another exception, a hang, or memory that
grows with what the header claims. The same inputs go through ``BrandKit.validate(bytes)`` (local provider,
every check) so the whole check stack sees them.

Memory is measured in a child process (``ru_maxrss`` before and after the bombs): Pillow allocates pixel
buffers in C, where ``tracemalloc`` cannot see them.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import brandkit
from brandkit.errors import ImageInputError
from brandkit.imageio import MAX_PIXELS, load_image
from brandkit.models import CheckStatus
from brandkit.resources import KitResources

ROOT = Path(__file__).resolve().parents[1]
SCALE = max(1, int(os.environ.get("BRANDKIT_FUZZ_EXAMPLES", "1")))


def fuzz_settings(examples: int) -> Any:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,  # no wall-clock assertion: a loaded machine is slow, not wrong
        derandomize=os.environ.get("BRANDKIT_FUZZ_RANDOM") != "1",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
        database=None,
    )


pytestmark = pytest.mark.timeout(120)

# --------------------------------------------------------------------------------------------
# Building inputs
# --------------------------------------------------------------------------------------------

FORMATS = ["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "ICO", "PPM", "TGA", "JPEG2000", "AVIF", "QOI"]
MODES = ["RGB", "RGBA", "L", "LA", "P", "1", "I;16", "I", "F", "CMYK", "YCbCr"]


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _image(mode: str, width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    rgb = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")
    if mode in ("I;16", "I"):
        return Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16)).convert(mode)
    if mode == "F":
        return Image.fromarray(rng.random((height, width), dtype=np.float32))
    return rgb.convert(mode)


@st.composite
def real_images(draw: st.DrawFn) -> bytes:
    """A real encoded image: random format, mode and size (whatever combination Pillow can write)."""
    fmt = draw(st.sampled_from(FORMATS))
    mode = draw(st.sampled_from(MODES))
    width = draw(st.integers(min_value=1, max_value=96))
    height = draw(st.integers(min_value=1, max_value=96))
    image = _image(mode, width, height, draw(st.integers(0, 2**16)))
    for candidate in (image, image.convert("RGB")):
        try:
            return encode(candidate, fmt)
        except (OSError, ValueError, KeyError):
            continue
    return encode(image.convert("RGB"), "PNG")


@st.composite
def damaged_images(draw: st.DrawFn) -> bytes:
    """A real image, then truncated, with bytes flipped, or with random bytes inserted."""
    data = bytearray(draw(real_images()))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "zero"]))
        if not data:
            break
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if op == "truncate":
            del data[at:]
        elif op == "flip":
            data[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at : at + 8] = b"\0" * len(data[at : at + 8])
    return bytes(data)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, idat: bytes = b"", color_type: int = 2, bit_depth: int = 8) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` (the data may be far smaller)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(idat))
        + _png_chunk(b"IEND", b"")
    )


def declaring(fmt: str, width: int, height: int) -> bytes:
    """A small real image of ``fmt`` with its header patched to claim ``width`` x ``height``."""
    small = Image.new("RGB", (8, 8), (120, 30, 30))
    if fmt == "PNG":
        return png_declaring(width, height, b"\0" * 25 * 8)
    if fmt == "GIF":
        data = bytearray(encode(small.convert("P"), "GIF"))
        data[6:10] = struct.pack("<HH", width, height)  # logical screen
        return bytes(data)
    if fmt == "BMP":
        data = bytearray(encode(small, "BMP"))
        data[18:26] = struct.pack("<ii", width, height)
        return bytes(data)
    if fmt == "JPEG":
        data = bytearray(encode(small, "JPEG"))
        sof = data.find(b"\xff\xc0")
        data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
        return bytes(data)
    raise ValueError(fmt)


MAX_DIM = {"PNG": 2**31 - 1, "GIF": 65535, "BMP": 2**31 - 1, "JPEG": 65535}


def check_outcome(data: bytes | str | Path, *, declared: tuple[int, int] | None = None) -> Image.Image | None:
    """load_image(data): an 8-bit RGB/RGBA image within the pixel limit, or None for ImageInputError."""
    try:
        image = load_image(data)
    except ImageInputError as exc:
        assert str(exc) and exc.source
        if declared is not None and declared[0] * declared[1] <= MAX_PIXELS:
            pass  # refusing a truncated in-limit image is fine too
        return None
    assert image.mode in ("RGB", "RGBA"), image.mode
    assert image.width * image.height <= MAX_PIXELS
    assert np.asarray(image).dtype == np.uint8
    return image


# --------------------------------------------------------------------------------------------
# load_image: fuzz
# --------------------------------------------------------------------------------------------


# Found by test_damaged_images: Pillow's AVIF decoder raises RuntimeError (not OSError) on this AVIF, whose
# image item is missing; it escaped load_image as a RuntimeError.
DAMAGED_AVIF = (
    b"\x00\x00\x00 ftypavif\x00\x00\x00\x00avifmif1miafMA1B\x00\x00\x00\xebmeta"
    b"\x00\x00\x00\x00\x00\x00\x00!hdlr\x00\x00\x00\x00\x00\x00\x00\x00pict\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x0epitm\x00\x00\x00\x00\x00\x01\x00\x00\x00\x1e\x00\x00\x00\x00\x00\x00\x00\x00D\x00\x00\x01\x00\x01\x00\x00\x00\x01\x00\x00\x01\x13\x00\x00\x00"
    b"&\x00\x00\x00(iinf\x00\x00\x00\x00\x00\x01\x00\x00\x00\x1ainfe\x02\x00\x00\x00\x00\x01\x00\x00av01Color"
    b"\x00\x00\x00\x00jiprp\x00\x00\x00Kipco\x00\x00\x00\x14ispe\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00"
    b"\x10pixi\x00\x00\x00\x00\x03\x08\x08\x08\x00\x00\x00\x0cav1C\x81\x00\x0c\x00\x00\x00\x00\x13colrnclx\x00\x01\x00"
    b"\r\x00\x06\x80\x00\x00\x00\x17ipma\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x04\x01\x02\x83\x04\x00\x00\x00.mdat\x12\x00\n\x08\x18"
    b"\x00\x06\x88\x08h4 2\x18\x14\xc7\x87\x86e\x02\x08 \x9eP\x00\x00\x00HZ\xd9V\x01\x9a\x0b2s!`"
)


def test_an_avif_whose_decoder_raises_runtime_error_is_an_image_input_error() -> None:
    assert check_outcome(DAMAGED_AVIF) is None


@fuzz_settings(80)
@given(blob=st.binary(max_size=2048))
def test_random_bytes(blob: bytes) -> None:
    check_outcome(blob)


@fuzz_settings(80)
@given(data=real_images())
def test_real_images_of_every_format_and_mode_decode(data: bytes) -> None:
    image = check_outcome(data)
    assert image is not None, f"a valid {Image.open(io.BytesIO(data)).format} image was refused"


@fuzz_settings(120)
@given(data=damaged_images())
def test_damaged_images(data: bytes) -> None:
    check_outcome(data)


@fuzz_settings(60)
@given(
    fmt=st.sampled_from(sorted(MAX_DIM)),
    width=st.integers(min_value=1, max_value=2**31 - 1),
    height=st.integers(min_value=1, max_value=2**31 - 1),
)
def test_huge_dimensions_declared_in_a_small_file(fmt: str, width: int, height: int) -> None:
    width, height = min(width, MAX_DIM[fmt]), min(height, MAX_DIM[fmt])
    data = declaring(fmt, width, height)
    assert len(data) < 4096
    image = check_outcome(data, declared=(width, height))
    if width * height > MAX_PIXELS:
        assert image is None, f"{fmt} declaring {width}x{height} was decoded"


@pytest.mark.parametrize("fmt", sorted(MAX_DIM))
def test_one_pixel_over_the_limit_is_refused_before_decoding(fmt: str) -> None:
    width = 4320
    height = MAX_PIXELS // width + 1  # 3841: one row over the limit
    with pytest.raises(ImageInputError, match=r"pixel|decompression bomb"):
        load_image(declaring(fmt, width, height))


def test_an_image_exactly_at_the_pixel_limit_is_accepted() -> None:
    width, height = 4320, 3840
    assert width * height == MAX_PIXELS
    data = encode(Image.new("L", (width, height), 200), "PNG", compress_level=1)
    image = load_image(data)
    assert image.size == (width, height) and image.mode == "RGB" and image.getpixel((7, 7)) == (200, 200, 200)


# --------------------------------------------------------------------------------------------
# load_image: specific formats and modes, with exact expected results
# --------------------------------------------------------------------------------------------


def test_16_bit_greyscale_is_scaled_to_8_bit() -> None:
    array = np.array([[0, 32768, 65535]], dtype=np.uint16)
    for fmt in ("PNG", "TIFF"):
        image = load_image(encode(Image.fromarray(array), fmt))
        assert image.mode == "RGB" and [image.getpixel((x, 0)) for x in range(3)] == [
            (0, 0, 0),
            (128, 128, 128),
            (255, 255, 255),
        ]


def test_16_bit_rgb_png_is_read_as_8_bit() -> None:
    # Pillow has no 16-bit RGB mode: write the PNG by hand (colour type 2, bit depth 16).
    row = b"\0" + struct.pack(">HHH", 65535, 0, 32896) * 4
    image = load_image(png_declaring(4, 2, row * 2, color_type=2, bit_depth=16))
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (255, 0, 128)


def test_cmyk_jpeg_and_tiff_become_rgb() -> None:
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    for fmt in ("JPEG", "TIFF"):
        image = load_image(encode(red, fmt))
        r, g, b = image.getpixel((8, 8))[:3]
        assert image.mode == "RGB" and r > 200 and g < 60 and b < 60, (fmt, r, g, b)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animations_give_their_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (32, 24), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as probe:
        assert getattr(probe, "n_frames", 1) == 3  # really animated (APNG for PNG)
    image = load_image(data)
    assert image.size == (32, 24) and image.getpixel((5, 5))[:3] == (255, 0, 0)


@pytest.mark.parametrize(
    "orientation, size, top_left",
    [(1, (40, 20), "red"), (6, (20, 40), "red"), (3, (40, 20), "blue"), (8, (20, 40), "blue")],
)
@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_exif_orientation_is_applied(fmt: str, orientation: int, size: tuple[int, int], top_left: str) -> None:
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    image.paste((0, 0, 255), (20, 0, 40, 20))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = orientation
    loaded = load_image(encode(image, fmt, exif=exif, **({"quality": 95} if fmt != "PNG" else {})))
    assert loaded.size == size
    r, _, b = loaded.getpixel((2, 2))[:3]
    assert (r > 200 and b < 60) if top_left == "red" else (b > 200 and r < 60)


def test_corrupt_exif_orientation_is_ignored() -> None:
    exif = Image.Exif()
    exif[0x0112] = 99
    assert load_image(encode(Image.new("RGB", (40, 20)), "JPEG", exif=exif)).size == (40, 20)


def test_palette_with_transparency_keeps_alpha() -> None:
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    data = encode(image, "PNG", transparency=1)
    loaded = load_image(data)
    assert loaded.mode == "RGBA" and loaded.getpixel((0, 0))[3] == 0


@pytest.mark.parametrize(("mode", "key", "other"), [("RGB", (1, 2, 3), (9, 9, 9)), ("L", 7, 200), ("1", 0, 1)])
def test_a_transparent_colour_of_an_rgb_or_grey_png_is_read_see_through(mode: str, key: Any, other: Any) -> None:
    """A PNG's tRNS colour key on a truecolour or grey image: browsers show those pixels see-through, so they are
    read with alpha 0 (they were read opaque: a cut-out's hidden background measured as its colours)."""
    image = Image.new(mode, (8, 8), key)
    image.paste(other, (0, 0, 4, 8))
    loaded = load_image(encode(image, "PNG", transparency=key))
    assert loaded.mode == "RGBA"
    assert loaded.getpixel((6, 0))[3] == 0 and loaded.getpixel((1, 0))[3] == 255  # the key only
    assert load_image(encode(image, "PNG")).mode == "RGB"  # without a key: opaque, as before


def test_float_image_with_nan_does_not_crash() -> None:
    array = np.array([[np.nan, np.inf, -np.inf, 0.5]], dtype=np.float32)
    image = load_image(encode(Image.fromarray(array), "TIFF"))
    assert image.mode == "RGB" and image.size == (4, 1)


def test_premultiplied_alpha_pil_images_are_accepted() -> None:
    """BUG (brandkit/imageio.py::_normalize_mode): the modes "La" and "RGBa" are listed as handled, but
    ``Image.convert("RGBA")`` is not supported from "La" (Pillow: 'conversion from La to L not supported'),
    and the ValueError escapes because _normalize_mode runs outside the try block. Fix: convert "La" via
    "LA" (``image.convert("LA").convert("RGBA")``) and wrap _normalize_mode's conversions so any
    ValueError/OSError becomes ImageInputError."""
    image = load_image(Image.new("La", (4, 4), (128, 255)))
    assert image.mode == "RGBA" and image.getpixel((0, 0)) == (128, 128, 128, 255)
    assert load_image(Image.new("RGBa", (4, 4), (10, 20, 30, 255))).mode == "RGBA"


# --------------------------------------------------------------------------------------------
# Paths: wrong extensions, empty files, folders, devices
# --------------------------------------------------------------------------------------------


def test_wrong_extension_is_read_by_content(tmp_path: Path) -> None:
    png_as_jpg = tmp_path / "really-a-png.jpg"
    png_as_jpg.write_bytes(encode(Image.new("RGB", (10, 10), (1, 2, 3)), "PNG"))
    jpg_as_png = tmp_path / "really-a-jpeg.png"
    jpg_as_png.write_bytes(encode(Image.new("RGB", (10, 10), (250, 250, 250)), "JPEG"))
    text_as_png = tmp_path / "notes.png"
    text_as_png.write_text("hello")
    assert load_image(png_as_jpg).getpixel((0, 0)) == (1, 2, 3)
    assert load_image(jpg_as_png).size == (10, 10)
    with pytest.raises(ImageInputError, match="notes.png: not a recognised image format"):
        load_image(text_as_png)


def test_empty_missing_and_folder_paths(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageInputError, match="empty.png: empty file"):
        load_image(empty)
    with pytest.raises(ImageInputError, match="missing.png: no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageInputError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(ImageInputError, match="empty file"):
        load_image(b"")


CHILD_DEVICE = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from brandkit.errors import BrandkitError
    from brandkit.imageio import load_image
    try:
        load_image(sys.argv[1])
        print("ok")
    except BrandkitError as exc:
        print(type(exc).__name__ + ": " + str(exc))
    except BaseException as exc:
        print("UNTYPED " + type(exc).__name__)
    """
)


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_device_files_and_fifos_are_refused(tmp_path: Path, kind: str) -> None:
    """BUG (brandkit/imageio.py::read_bytes): the size limit is checked with ``stat().st_size``, which is 0 for
    devices and FIFOs. ``/dev/zero`` (here via a symlink named like an image) is then read without end
    (MemoryError in this 1 GB child; the machine's memory without a limit), and a FIFO with no writer blocks
    for ever. Fix: refuse anything but a regular file (``stat.S_ISREG`` on the resolved path, before opening)
    and read at most ``limit + 1`` bytes."""
    path = tmp_path / "photo.png"
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(path)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD_DEVICE, str(path)], capture_output=True, text=True, timeout=10, cwd=ROOT
        )
        outcome = proc.stdout.strip() or proc.stderr[-300:]
    except subprocess.TimeoutExpired:
        outcome = "HANG: no answer within 10 s"
    assert outcome.startswith("ImageInputError: ") and "photo.png" in outcome, outcome


# --------------------------------------------------------------------------------------------
# Memory: bombs in a child process
# --------------------------------------------------------------------------------------------

CHILD_BOMBS = textwrap.dedent(
    """
    import json, resource, sys
    from PIL import ImageFile
    from brandkit.errors import ImageInputError
    from brandkit.imageio import load_image
    from tests.test_fuzz_images import bombs
    cases = bombs()
    pixel_loads = []
    real_load = ImageFile.ImageFile.load
    def counting_load(self):
        pixel_loads.append(self.format)
        return real_load(self)
    ImageFile.ImageFile.load = counting_load
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes = {}
    for name, data in cases:
        try:
            image = load_image(data)
            outcomes[name] = "decoded %dx%d" % image.size
        except ImageInputError as exc:
            outcomes[name] = "ImageInputError"
        except BaseException as exc:
            outcomes[name] = "UNTYPED " + type(exc).__name__
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcomes": outcomes, "rss_growth_kb": after - before,
                      "pixel_loads": pixel_loads, "sizes": {n: len(d) for n, d in cases}}))
    """
)


def bombs() -> list[tuple[str, bytes]]:
    """Decompression bombs: small files whose pixels would take gigabytes."""
    cases: list[tuple[str, bytes]] = []
    for fmt, limit in MAX_DIM.items():
        cases.append((f"{fmt.lower()}-declares-{limit}x{limit}", declaring(fmt, limit, limit)))
    # a real zlib bomb: 40000 x 40000 1-bit PNG, every row present (200 MB of zero rows, 200 KB compressed)
    row = b"\0" * (40000 // 8 + 1)
    cases.append(("png-zlib-bomb-40000x40000", png_declaring(40000, 40000, row * 40000, color_type=0, bit_depth=1)))
    # a real GIF bomb: 65535 x 65535 screen, one tiny frame
    cases.append(("gif-65535-screen", declaring("GIF", 65535, 65535)))
    # 16-bit RGBA at 20000 x 20000 declared (3.2 GB of pixels), tiny data
    cases.append(("png-16bit-rgba-20000", png_declaring(20000, 20000, b"\0" * 1000, color_type=6, bit_depth=16)))
    return cases


def test_decompression_bombs_are_refused_with_flat_memory() -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD_BOMBS], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result["outcomes"].values()) == {"ImageInputError"}, result["outcomes"]
    assert max(result["sizes"].values()) < 400_000
    assert result["rss_growth_kb"] < 32 * 1024, result  # refused from the header: no pixel buffer was made
    assert result["pixel_loads"] == [], result  # no pixel data decoded (work counted, not timed)


# --------------------------------------------------------------------------------------------
# The whole check stack: BrandKit.validate(bytes) with the local provider
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_kit(kit_resources: KitResources) -> brandkit.BrandKit:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, resources=kit_resources, provider="local")
    kit.validate(encode(Image.new("RGB", (64, 64), (243, 233, 220)), "PNG"))  # warm the OCR engine up
    return kit


def _validate(kit: brandkit.BrandKit, data: bytes) -> None:
    try:
        report = kit.validate(data)
    except ImageInputError as exc:
        assert "bytes>" in str(exc)
        return
    assert set(report.checks) == {"palette", "text", "logo", "contrast", "technical", "moderation", "credentials"}
    assert all(isinstance(result.status, CheckStatus) for result in report.checks.values())
    assert isinstance(report.passed, bool)


@fuzz_settings(12)
@given(data=st.one_of(damaged_images(), real_images(), st.binary(max_size=512)))
def test_validate_sees_fuzzed_images_end_to_end(local_kit: brandkit.BrandKit, data: bytes) -> None:
    _validate(local_kit, data)


@pytest.mark.parametrize(
    "name",
    ["zero", "random", "truncated-png", "bomb-png", "bomb-gif", "cmyk-jpeg", "i16-png", "anim-webp", "exif-jpeg"],
)
def test_validate_named_inputs(local_kit: brandkit.BrandKit, name: str) -> None:
    red = Image.new("RGB", (48, 32), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    anim = io.BytesIO()
    red.save(anim, "WEBP", save_all=True, append_images=[Image.new("RGB", (48, 32))], duration=50)
    inputs = {
        "zero": b"",
        "random": os.urandom(4096),
        "truncated-png": encode(red, "PNG")[:60],
        "bomb-png": declaring("PNG", 100_000, 100_000),
        "bomb-gif": declaring("GIF", 65535, 65535),
        "cmyk-jpeg": encode(Image.new("CMYK", (48, 32), (0, 200, 200, 0)), "JPEG"),
        "i16-png": encode(Image.fromarray(np.full((32, 48), 40000, dtype=np.uint16)), "PNG"),
        "anim-webp": anim.getvalue(),
        "exif-jpeg": encode(red, "JPEG", exif=exif),
    }
    data = inputs[name]
    if name in ("zero", "random", "truncated-png", "bomb-png", "bomb-gif"):
        with pytest.raises(ImageInputError):
            local_kit.validate(data)
    else:
        report = local_kit.validate(data)
        assert report.checks["technical"].status in (CheckStatus.passed, CheckStatus.failed)
        assert not report.passed  # a random red rectangle is not an on-brand Northwind asset
