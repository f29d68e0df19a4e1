"""Decode benchmark: what reading an image the way users' files come costs, against a plain file.

Run from the project root::

    python -m benchmarks.bench_decode          # 7 timed runs per case
    python -m benchmarks.bench_decode --runs 15

``load_image`` of the same picture (a smooth photo-like gradient with noise) as a plain PNG or JPEG — the
baseline, measured in the same run — and as the files users bring: with an sRGB profile (parsed, left as it is),
with a Display P3 or Adobe RGB profile (converted to sRGB, ``imageio.in_srgb``), and as a phone JPEG stored on its
side with EXIF orientation 6 (turned as shown); plus ``upright`` (what an edit sends for that phone JPEG: turned and
re-encoded), ``prepare_edit`` (what an edit sends for it: since the thirty-first pass a 12 MP photo is reduced to
8.3 MP and trimmed to edges of multiples of 16, a size the model returns) and ``verify_image`` (header only).
Sizes: 1024² and a 12 MP phone photo (4032×3024).

A 48 MP camera master (8000×6000, over the 16.6 MP decode limit) is read by ``load_image_reduced`` at most at
8.3 MP, as ``validate`` and audits read it: the baseline is the plain way to get the same picture — decode it whole
and resample it (Pillow's ``load`` and ``resize`` with Lanczos), measured in the same run. A CLI edit of that master
prepares it twice (its pre-flight, then the edit): the baseline calls ``prepare_edit`` twice with no memo store
(what the tree before the thirty-first pass did), against the two calls inside one store (the kit's, as now).

Each row is the median wall time of ``--runs`` runs after one warm-up, next to its CPU time
(``time.process_time``: when they differ, other processes took the core and the run should be repeated), and the
ratio of its CPU time to the plain file of its format and size.
"""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageCms

from benchmarks._measure import timed_median
from brandkit.edit_input import prepare_edit
from brandkit.imageio import REDUCED_PIXELS, fitted_size, load_image, load_image_reduced, upright, verify_image
from brandkit.memo import MemoStore
from tests.support.icc import adobe_rgb, display_p3

SIZES = {"1024²": (1024, 1024), "12 MP": (4032, 3024)}
MASTER = (8000, 6000)


def _picture(width: int, height: int) -> Image.Image:
    """A photo-like picture: smooth colour gradients with noise (what a codec and a colour transform work on)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200 + 30, y / height * 180 + 40, (x + y) / (width + height) * 150 + 60], axis=-1)
    noisy = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy, "RGB")


def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _in_profile(image: Image.Image, profile: bytes) -> Image.Image:
    """``image`` (sRGB) as the numbers of ``profile`` (what a file in that space stores)."""
    target = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    srgb = ImageCms.createProfile("sRGB")
    out = ImageCms.profileToProfile(image, srgb, target, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    assert out is not None
    return out


def cases(width: int, height: int) -> list[tuple[str, str, Callable[[], Any]]]:
    """(name, the plain case it is compared with, the call) for one size."""
    picture = _picture(width, height)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = _encoded(picture, "PNG")
    jpeg = _encoded(picture, "JPEG", quality=90)
    png_srgb = _encoded(picture, "PNG", icc_profile=srgb)
    png_p3 = _encoded(_in_profile(picture, display_p3()), "PNG", icc_profile=display_p3())
    jpeg_adobe = _encoded(_in_profile(picture, adobe_rgb()), "JPEG", quality=90, icc_profile=adobe_rgb())
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = _encoded(picture.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif.tobytes())
    return [
        ("PNG, no profile (baseline)", "png", lambda: load_image(png)),
        ("PNG, sRGB profile", "png", lambda: load_image(png_srgb)),
        ("PNG, Display P3 → sRGB", "png", lambda: load_image(png_p3)),
        ("JPEG, no profile (baseline)", "jpeg", lambda: load_image(jpeg)),
        ("JPEG, Adobe RGB → sRGB", "jpeg", lambda: load_image(jpeg_adobe)),
        ("JPEG, EXIF 6 (turned as shown)", "jpeg", lambda: load_image(turned)),
        ("upright(JPEG, EXIF 6): turn + re-encode", "jpeg", lambda: upright(turned)),
        ("verify_image(JPEG, EXIF 6): header", "jpeg", lambda: verify_image(turned)),
        ("prepare_edit(JPEG, EXIF 6): what an edit sends", "jpeg", lambda: prepare_edit(turned)),
    ]


def _whole_then_resampled(data: bytes) -> Image.Image:
    """The plain reading of a large file at the checks' size: decoded whole, then resampled (the baseline)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.resize(fitted_size(image.size, REDUCED_PIXELS), Image.Resampling.LANCZOS, reducing_gap=3.0)


def master_cases() -> list[tuple[str, str, Callable[[], Any]]]:
    """(name, the plain case it is compared with, the call) for the 48 MP master."""
    picture = _picture(*MASTER)
    jpeg = _encoded(picture, "JPEG", quality=90)
    png = _encoded(picture, "PNG")
    return [
        ("JPEG decoded whole, then resampled to 8.3 MP (baseline)", "jpeg", lambda: _whole_then_resampled(jpeg)),
        ("JPEG, load_image_reduced (½-scale decode, then Lanczos)", "jpeg", lambda: load_image_reduced(jpeg)),
        ("JPEG, the technical check's decode at ⅛ scale", "jpeg", lambda: load_image_reduced(jpeg, to=65_536)),
        ("PNG decoded whole, then resampled to 8.3 MP (baseline)", "png", lambda: _whole_then_resampled(png)),
        ("PNG, load_image_reduced", "png", lambda: load_image_reduced(png)),
        ("JPEG, a CLI edit's image prepared twice: pre-flight, then the edit (baseline)", "edit", lambda: _twice(jpeg)),
        ("JPEG, the same two in the kit's memo store: one reduction", "edit", lambda: _twice(jpeg, MemoStore())),
    ]


def _twice(data: bytes, store: MemoStore | None = None) -> None:
    """``prepare_edit`` as a CLI edit calls it: its pre-flight, then the kit's edit flow — with no store active
    (each call reduces the file: the tree before this pass) or both inside one store (the kit's, as now)."""
    if store is None:  # no store active: the memoized function computes each time
        prepare_edit(data)
        prepare_edit(data)
        return
    with store.active():
        prepare_edit(data)
        prepare_edit(data)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f}\n")
    print("| size | case | wall ms | CPU ms | CPU × plain |")
    print("|---|---|---:|---:|---:|")
    sized = [(label, cases(width, height)) for label, (width, height) in SIZES.items()]
    for label, rows in [*sized, ("48 MP", master_cases())]:
        plain: dict[str, float] = {}
        for name, kind, call in rows:
            wall, cpu = (1000 * t for t in timed_median(call, args.runs))
            if name.endswith("(baseline)"):
                plain[kind] = cpu
            ratio = cpu / plain[kind] if plain.get(kind) else float("nan")
            print(f"| {label} | {name} | {wall:.1f} | {cpu:.1f} | {ratio:.2f} |")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
