"""Real fonts for other scripts (Debian's Noto packages, installed by ``scripts/install-system-deps``).

A missing font is a test failure with the fix in the message, never a skip. CJK fonts come as a 19 MB
collection (``.ttc``), which a spec cannot name (TTF/OTF only), so :func:`cjk_subset` cuts one face down to the
characters a test needs with fontTools' subsetter (OFL allows it; the licence is copied beside it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parents[1]
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")


def system_font(path: Path) -> Path:
    """``path`` if it exists, else fail the test saying how to install it."""
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `bash scripts/install-system-deps` (fonts-noto-core, fonts-noto-cjk)")
    return path


def noto(name: str) -> Path:
    """A font of fonts-noto-core, e.g. ``NotoSansDevanagari-Regular.ttf``."""
    return system_font(NOTO_DIR / name)


def cjk_face_index(family: str = "Noto Sans CJK SC") -> int:
    """Index of ``family`` in the Noto CJK collection."""
    path = system_font(NOTO_CJK)
    for index in range(16):
        with TTFont(path, fontNumber=index, lazy=True) as font:
            if font["name"].getDebugName(1) == family:
                return index
    pytest.fail(f"{family!r} is not in {path}")


def cjk_subset(dest: Path, text: str, family: str = "Noto Sans CJK SC") -> Path:
    """An OTF at ``dest`` with the glyphs of ``text`` (plus common CJK punctuation) from ``family``."""
    font = TTFont(system_font(NOTO_CJK), fontNumber=cjk_face_index(family))
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + " ，。、「」！？：")
    subsetter.subset(font)
    dest.parent.mkdir(parents=True, exist_ok=True)
    font.save(dest)
    return dest


def spec_with_fallbacks(dest: Path, fallbacks: list[tuple[str, Path, str]], brand: str = "northwind") -> Path:
    """A copy of an example brand at ``dest`` whose typography names ``fallbacks`` (scripts YAML, font, roles YAML).

    Each font is copied into ``fonts/`` of the copy (with the OFL text as its licence).
    """
    shutil.copytree(REPO / "brand_specs" / brand, dest)
    lines = ["  fallbacks:"]
    for scripts, font, roles in fallbacks:
        target = dest / "fonts" / font.name
        if font.resolve() != target.resolve():
            shutil.copyfile(font, target)
        lines.append(f"    - {{ scripts: {scripts}, file: fonts/{font.name}, license: fonts/OFL.txt, roles: {roles} }}")
    yaml_path = dest / "brand.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    anchor = "  headline_case:"
    assert anchor in text, "the example brand's typography has no headline_case line to insert before"
    yaml_path.write_text(text.replace(anchor, "\n".join(lines) + "\n" + anchor, 1), encoding="utf-8")
    return dest
