"""ICC profiles written from their published definitions, for tests: no profile file ships with Pillow or the OS.

:func:`matrix_profile` writes an ICC v2 display profile (RGB → XYZ matrix/TRC: ``desc``, ``cprt``, ``wtpt``,
``rXYZ``/``gXYZ``/``bXYZ`` adapted to the D50 connection space with the Bradford transform, and ``rTRC``/``gTRC``/
``bTRC`` as parametric curves). :func:`display_p3` is Apple's Display P3 (P3 primaries, D65 white, the sRGB
transfer curve); :func:`adobe_rgb` is Adobe RGB (1998) (gamma 563/256). Both are checked against published
conversions in ``tests/test_color_profiles.py`` before anything relies on them.
"""

from __future__ import annotations

import struct

import numpy as np

D50 = (0.9642, 1.0, 0.8249)
D65_XY = (0.3127, 0.3290)
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def _xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def rgb_to_xyz_d50(primaries: list[tuple[float, float]], white: tuple[float, float]) -> np.ndarray:
    """The RGB → XYZ matrix of these primaries and white, chromatically adapted to D50 (Bradford)."""
    columns = np.stack([_xyz(p) for p in primaries], axis=1)
    scale = np.linalg.solve(columns, _xyz(white))
    to_xyz = columns * scale
    source = _BRADFORD @ _xyz(white)
    target = _BRADFORD @ np.array(D50)
    adapt = np.linalg.inv(_BRADFORD) @ np.diag(target / source) @ _BRADFORD
    return np.asarray(adapt @ to_xyz)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: tuple[float, float, float] | np.ndarray) -> bytes:
    return b"XYZ " + b"\0" * 4 + b"".join(_s15(float(v)) for v in xyz)


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * (4 + 4 + 2 + 1 + 67)


def _text(text: str) -> bytes:
    return b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"


def _para(gamma: float, a: float = 1.0, b: float = 0.0, c: float = 0.0, d: float = 0.0) -> bytes:
    if (a, b, c, d) == (1.0, 0.0, 0.0, 0.0):
        return b"para" + b"\0" * 4 + struct.pack(">HH", 0, 0) + _s15(gamma)
    return b"para" + b"\0" * 4 + struct.pack(">HH", 3, 0) + b"".join(_s15(v) for v in (gamma, a, b, c, d))


def matrix_profile(name: str, primaries: list[tuple[float, float]], white: tuple[float, float], trc: bytes) -> bytes:
    """An ICC v2 RGB display profile (matrix/TRC) named ``name``; ``trc`` is a ``para`` tag (:func:`_para`)."""
    matrix = rgb_to_xyz_d50(primaries, white)
    tags = [
        (b"rXYZ", _xyz_tag(matrix[:, 0])),
        (b"gXYZ", _xyz_tag(matrix[:, 1])),
        (b"bXYZ", _xyz_tag(matrix[:, 2])),
        (b"rTRC", trc),
        (b"gTRC", trc),
        (b"bTRC", trc),
    ]
    return _profile(name, b"RGB ", tags)


def gray_profile(gamma: float) -> bytes:
    """An ICC v2 grey display profile: D50 white, the pure power curve ``gamma`` (``kTRC``)."""
    return _profile(f"Gray Gamma {gamma} (test)", b"GRAY", [(b"kTRC", _para(gamma))])


def _profile(name: str, space: bytes, colour_tags: list[tuple[bytes, bytes]]) -> bytes:
    tags = [
        (b"desc", _desc(name)),
        (b"cprt", _text("No copyright: written for brandkit's tests")),
        (b"wtpt", _xyz_tag(D50)),
        *colour_tags,
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, blobs = [], b""
    for signature, data in tags:
        padded = data + b"\0" * (-len(data) % 4)
        entries.append(struct.pack(">4sII", signature, offset + len(blobs), len(data)))
        blobs += padded
    body = struct.pack(">I", len(tags)) + b"".join(entries) + blobs
    size = 128 + len(body)
    header = struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, b"mntr", space, b"XYZ ")
    header += struct.pack(">6H", 2026, 12, 6, 0, 0, 0) + b"acsp" + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 4
    header += b"\0" * 8 + struct.pack(">I", 0) + b"".join(_s15(v) for v in D50) + b"lcms" + b"\0" * 16
    header += b"\0" * (128 - len(header))
    return header + body


def display_p3() -> bytes:
    """Display P3: the DCI-P3 primaries, D65 white, the sRGB transfer curve."""
    srgb_curve = _para(2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
    return matrix_profile("Display P3 (test)", [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)], D65_XY, srgb_curve)


def adobe_rgb() -> bytes:
    """Adobe RGB (1998): its primaries, D65 white, gamma 563/256."""
    return matrix_profile("Adobe RGB 1998 (test)", [(0.64, 0.33), (0.21, 0.71), (0.15, 0.06)], D65_XY, _para(563 / 256))
