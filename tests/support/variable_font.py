"""A real variable font, built with fontTools' varLib from three masters (wght 100, 400 — the default — and 900).

Every glyph of A–Z, a–z, 0–9 and the space is drawn as a bar and a crossbar whose stroke grows with the weight: a text
set at 900 covers about twice the ink of one at 400. No font file a test machine may lack is needed.
"""

from __future__ import annotations

import string
from pathlib import Path

from fontTools import varLib
from fontTools.designspaceLib import AxisDescriptor, DesignSpaceDocument, SourceDescriptor
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

LETTERS = string.ascii_letters + string.digits
GLYPH_NAMES = {c: c if c.isalpha() else f"digit{c}" for c in LETTERS}
STROKES = {100: 30, 400: 90, 900: 200}  # stem width per master


def _rect(pen: TTGlyphPen, x0: int, y0: int, x1: int, y1: int) -> None:
    pen.moveTo((x0, y0))
    pen.lineTo((x0, y1))
    pen.lineTo((x1, y1))
    pen.lineTo((x1, y0))
    pen.closePath()


def _master(family: str, weight: int) -> TTFont:
    stroke = STROKES[weight]
    names = [".notdef", "space", *(GLYPH_NAMES[c] for c in LETTERS)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({32: "space", **{ord(c): GLYPH_NAMES[c] for c in LETTERS}})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        if name not in (".notdef", "space"):
            _rect(pen, 80, 0, 80 + stroke, 700)  # the stem
            _rect(pen, 80, 320, 520, 320 + stroke // 2)  # the crossbar
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (600 if name != ".notdef" else 500, 0) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(usWeightClass=weight, sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    return builder.font


def build_variable_font(path: Path, family: str = "Brand Variable") -> Path:
    """Write a variable TrueType font of ``family`` (wght 100–900, default 400) to ``path``."""
    doc = DesignSpaceDocument()
    axis = AxisDescriptor()
    axis.tag, axis.name, axis.minimum, axis.default, axis.maximum = "wght", "Weight", 100, 400, 900
    doc.addAxis(axis)
    for weight in STROKES:
        source = SourceDescriptor()
        source.font = _master(family, weight)
        source.location = {"Weight": weight}
        source.familyName = family
        doc.addSource(source)
    font, _, _ = varLib.build(doc)
    font.save(str(path))
    return path
