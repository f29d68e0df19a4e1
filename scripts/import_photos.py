"""Copy the example brands' photographs from installed packages (deterministic; re-run to regenerate).

    python scripts/import_photos.py [--matplotlib-sample-data DIR]

Every photograph is public domain or CC0, taken from a package's own data
folder (scikit-image's ``skimage/data``; matplotlib's ``mpl-data/sample_data``
for Grace Hopper). Each is re-encoded as JPEG (≤ 1024 px on the long side)
into ``brand_specs/<brand>/photos/`` with a ``<id>.LICENSE.txt`` beside it
stating the licence, the author and where the licence statement was read.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1] / "brand_specs"

SKIMAGE = "scikit-image (skimage/data/{file}); licence statement from the docstring of skimage.data.{func}()"
PHOTOS: dict[str, dict[str, str]] = {
    "coffee": {
        "file": "coffee.png",
        "func": "coffee",
        "title": "Coffee cup (espresso in a red cup on a wooden table)",
        "author": "Rachel Michetti, courtesy of Pikolo Espresso Bar",
        "licence": "CC0 1.0 Universal (public domain dedication): "
        '"No copyright restrictions. CC0 by the photographer (Rachel Michetti)."',
    },
    "chelsea": {
        "file": "chelsea.png",
        "func": "chelsea",
        "title": "Chelsea the cat",
        "author": "Stefan van der Walt",
        "licence": 'CC0 1.0 Universal: "No copyright restrictions. CC0 by the photographer (Stefan van der Walt)."',
    },
    "astronaut": {
        "file": "astronaut.png",
        "func": "astronaut",
        "title": "Astronaut Eileen Collins (NASA portrait)",
        "author": "NASA (NASA Great Images database)",
        "licence": 'Public domain: "No known copyright restrictions, released into the public domain."',
    },
    "rocket": {
        "file": "rocket.jpg",
        "func": "rocket",
        "title": "Launch of DSCOVR on Falcon 9, Cape Canaveral",
        "author": "SpaceX (SpaceX Photos)",
        "licence": 'Public domain: "The image was captured by SpaceX and released in the public domain."',
    },
    "clock": {
        "file": "clock_motion.png",
        "func": "clock",
        "title": "Motion-blurred wall clock (greyscale)",
        "author": "Stefan van der Walt",
        "licence": 'Public domain: "Released into the public domain by the photographer (Stefan van der Walt)."',
    },
}
GRACE = {
    "title": "Commodore Grace M. Hopper, USN (official U.S. Navy portrait, 1984)",
    "author": "U.S. Navy (photograph by James S. Davis), distributed in matplotlib's sample data",
    "licence": "Public domain: a work of the U.S. federal government, taken by a U.S. Navy photographer in "
    "the course of official duties (17 U.S.C. § 105; U.S. Navy NH 96919-KN). matplotlib ships the file "
    "without a licence statement of its own; the status rests on the photograph's official Navy origin.",
    "origin": "matplotlib (matplotlib/mpl-data/sample_data/grace_hopper.jpg)",
}
BRANDS = {
    "northwind": ["coffee", "chelsea"],
    "lumen-health": ["grace_hopper", "rocket", "clock"],
    "ubuntu": ["astronaut", "rocket", "coffee"],
}


def _save(source: Path, dest: Path, licence: str) -> None:
    image = Image.open(source)
    image = image.convert("RGB")
    image.thumbnail((1024, 1024), Image.Resampling.LANCZOS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    image.save(dest, "JPEG", quality=92, optimize=True)
    dest.with_suffix(".LICENSE.txt").write_text(licence, encoding="utf-8")


def _licence(title: str, author: str, licence: str, origin: str) -> str:
    return (
        f"Photograph: {title}\nAuthor: {author}\nLicence: {licence}\nTaken from: {origin}\n"
        "Changes: converted to RGB, scaled to at most 1024 px on the long side, re-encoded as JPEG (quality 92).\n"
    )


def main() -> None:
    """Write every brand's photographs and their licence files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--matplotlib-sample-data", type=Path, default=None)
    args = parser.parse_args()
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise SystemExit("scikit-image is not installed")
    data = Path(spec.origin).parent / "data"
    for brand, ids in BRANDS.items():
        for photo_id in ids:
            dest = ROOT / brand / "photos" / f"{photo_id.replace('_', '-')}.jpg"
            if photo_id == "grace_hopper":
                if args.matplotlib_sample_data is None:
                    print(f"skipped {dest} (pass --matplotlib-sample-data)")
                    continue
                text = _licence(GRACE["title"], GRACE["author"], GRACE["licence"], GRACE["origin"])
                _save(args.matplotlib_sample_data / "grace_hopper.jpg", dest, text)
            else:
                p = PHOTOS[photo_id]
                origin = SKIMAGE.format(file=p["file"], func=p["func"])
                _save(data / p["file"], dest, _licence(p["title"], p["author"], p["licence"], origin))
            print(f"wrote {dest}")


if __name__ == "__main__":
    main()
