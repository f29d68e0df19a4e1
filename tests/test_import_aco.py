"""Photoshop's colour swatches (``.aco``) imported as a palette: ``brandkit spec import Colours.aco``.

The files are written here from the layout of Adobe's *Photoshop File Formats Specification* ("Color Swatches"),
plus the bytes of a file Photoshop 7 saved (published with the format's first description: two colours, red
"Swatch 1" and green "Swatch 2", as a version 1 palette followed by the version 2 one). The expected colours are
worked out independently of the reader: by hand for RGB, HSB, CMYK and grey, and for Lab with CSS Color 4's
published matrices (D50 → Bradford → D65 → sRGB), written out here.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from brandkit.errors import SpecError
from brandkit.spec.importers.aco import AcoError, aco_palette
from brandkit.spec.importers.detect import detect_path
from brandkit.spec.importers.importer import import_brand

# Photoshop 7's own file, byte for byte as published (hexdump of 92 bytes)
PHOTOSHOP_7 = bytes.fromhex(
    "0001 0002 0000 ffff 0000 0000 0000 0000"
    "0000 ffff 0000 0000 0002 0002 0000 ffff"
    "0000 0000 0000 0000 0009 0053 0077 0061"
    "0074 0063 0068 0020 0031 0000 0000 0000"
    "ffff 0000 0000 0000 0009 0053 0077 0061"
    "0074 0063 0068 0020 0032 0000".replace(" ", "")
)

Colour = tuple[str, int, tuple[int, int, int, int]]


def _palette(version: int, colours: list[Colour]) -> bytes:
    out = struct.pack(">HH", version, len(colours))
    for name, space, values in colours:
        out += struct.pack(">5H", space, *values)
        if version == 2:
            units = (name + "\x00").encode("utf-16-be")
            out += struct.pack(">I", len(units) // 2) + units
    return out


def _aco(colours: list[Colour], versions: tuple[int, ...] = (1, 2)) -> bytes:
    """An .aco file as Photoshop 7+ writes it: a version 1 palette, then the same colours named (version 2)."""
    return b"".join(_palette(v, colours) for v in versions)


def _signed(value: int) -> int:
    return value & 0xFFFF


COLOURS: list[Colour] = [
    ("Harbour Blue Primary", 0, (0x1E * 257, 0x40 * 257, 0xAF * 257, 0)),  # as Photoshop writes 8 bits: v × 257
    ("Sea Accent", 1, (38229, 52428, 39321, 0)),  # HSB 210°, 80 %, 60 %
    ("Dusk", 7, (5000, _signed(2000), _signed(-3000), 0)),  # Lab 50 20 −30 (D50), hundredths
    ("PANTONE 1505 C", 2, (65535, 28835, 6554, 65535)),  # CMYK 0 56 90 0 (0 = 100 % ink)
    ("Ink text", 8, (7500, 0, 0, 0)),  # 75 % black
    ("PANTONE 286 C", 3, (286, 0, 0, 0)),  # a colour book's colour
    ("Odd", 42, (1, 2, 3, 4)),  # no such colour space
]


def _lab_d50_to_srgb8(lightness: float, a: float, b: float) -> list[int]:
    """CSS Color 4's ``lab()`` → sRGB, its published constants (κ, ε, the D50 white, Bradford D50→D65, XYZ→sRGB)."""
    kappa, epsilon = 24389 / 27, 216 / 24389
    fy = (lightness + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    xyz = [
        (fx**3 if fx**3 > epsilon else (116 * fx - 16) / kappa) * 0.3457 / 0.3585,
        ((lightness + 16) / 116) ** 3 if lightness > kappa * epsilon else lightness / kappa,
        (fz**3 if fz**3 > epsilon else (116 * fz - 16) / kappa) * (1 - 0.3457 - 0.3585) / 0.3585,
    ]
    bradford = [
        [0.955473421488075, -0.02309845494876471, 0.06325924320057072],
        [-0.0283697093338637, 1.0099953980813041, 0.021041441191917323],
        [0.012314014864481998, -0.020507649298898964, 1.330365926242124],
    ]
    to_srgb = [
        [12831 / 3959, -329 / 214, -1974 / 3959],
        [-851781 / 878810, 1648619 / 878810, 36519 / 878810],
        [705 / 12673, -2585 / 12673, 705 / 667],
    ]
    d65 = [sum(m * v for m, v in zip(row, xyz, strict=True)) for row in bradford]
    linear = [sum(m * v for m, v in zip(row, d65, strict=True)) for row in to_srgb]
    encoded = [12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055 for v in linear]
    return [round(min(max(v, 0.0), 1.0) * 255) for v in encoded]


def _spec(folder: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((folder / "brand.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _import(tmp_path: Path, data: bytes, name: str = "Harbour Colours.aco") -> Any:
    (tmp_path / name).write_bytes(data)
    [result] = import_brand(tmp_path / name, tmp_path / "out", headline_font="DejaVu Sans")
    return result


def _notes(result: Any, kind: str) -> dict[str, str]:
    """Every note of ``kind`` per source, joined (a colour can be both converted and left without a role)."""
    notes: dict[str, str] = {}
    for e in result.report.entries:
        if e.kind == kind:
            notes[e.source] = f"{notes.get(e.source, '')} {e.target} {e.note}".strip()
    return notes


def _colours(folder: Path) -> dict[str, str]:
    palette = _spec(folder)["palette"]
    return {c["name"]: c["hex"] for c in [*palette["colors"], *palette.get("allowed", [])]}


def test_photoshop_7s_own_file_imports_with_its_names() -> None:
    palette = aco_palette(PHOTOSHOP_7, Path("ps7.aco"))
    assert palette.version == 2 and not palette.unread  # the named palette read; nothing left over
    assert [(s.name, s.space, s.values[:3]) for s in palette.swatches] == [
        ("Swatch 1", 0, (65535, 0, 0)),
        ("Swatch 2", 0, (0, 65535, 0)),
    ]


def test_a_photoshop_swatch_file_imports_as_the_palette(tmp_path: Path) -> None:
    (tmp_path / "Harbour Colours.aco").write_bytes(_aco(COLOURS))
    fmt, why, _ = detect_path(tmp_path / "Harbour Colours.aco")
    assert fmt == "aco" and ".aco" in why
    result = _import(tmp_path, _aco(COLOURS))
    spec = _spec(result.out)
    assert spec["name"] == "Harbour Colours"
    roles = {c["role"]: c["name"] for c in spec["palette"]["colors"]}
    assert (
        roles["primary"] == "Harbour Blue Primary" and roles["accent"] == "Sea Accent" and roles["text"] == "Ink text"
    )
    colours = _colours(result.out)
    assert colours["Harbour Blue Primary"] == "#1E40AF"  # 8 bits back exactly
    assert colours["Sea Accent"] == "#1F5C99"  # HSB 210 0.8 0.6 → (0.12, 0.36, 0.6)
    assert colours["PANTONE 1505 C"] == "#FF701A"  # inks 0 .56 .90 0, naively (1 − c)(1 − k)
    assert colours["Ink text"] == "#404040"  # 1 − 0.75
    expected = _lab_d50_to_srgb8(50, 20, -30)
    got = [int(colours["Dusk"][i : i + 2], 16) for i in (1, 3, 5)]
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 1, (got, expected)
    mapped, approximated, dropped = (_notes(result, k) for k in ("mapped", "approximated", "dropped"))
    assert "RGB" in mapped["Harbour Blue Primary"] and "HSB" in mapped["Sea Accent"]
    assert "inside the sRGB gamut" in approximated["Dusk"]  # Lab converted: said, as for .ase
    assert "without a print profile" in approximated["PANTONE 1505 C"]
    assert "grey working space" in approximated["Ink text"]
    assert "Pantone colour" in dropped["PANTONE 286 C"] and "colour space 42" in dropped["Odd"]
    assert "PANTONE 286 C" not in colours and "Odd" not in colours


def test_a_version_1_palette_is_named_by_its_hex(tmp_path: Path) -> None:
    result = _import(tmp_path, _aco(COLOURS[:2], versions=(1,)))
    assert set(_colours(result.out)) == {"#1E40AF", "#1F5C99"}
    assert "named by its hex" in _notes(result, "approximated")["palette"]


def test_a_version_2_palette_alone_is_read(tmp_path: Path) -> None:
    assert set(_colours(_import(tmp_path, _aco(COLOURS[:1], versions=(2,))).out)) == {"Harbour Blue Primary"}


def test_what_the_file_holds_beside_the_palette_is_reported(tmp_path: Path) -> None:
    data = _palette(1, COLOURS[:1]) + _palette(2, COLOURS[:2]) + b"\x00\x00\x00"
    palette = aco_palette(data, Path("x.aco"))
    assert [s.name for s in palette.swatches] == ["Harbour Blue Primary", "Sea Accent"]  # the named palette
    assert "unlike the version 2 palette" in palette.unread and "3 byte(s) after the palette" in palette.unread
    result = _import(tmp_path, data)
    assert "3 byte(s) after the palette" in _notes(result, "dropped")["Harbour Colours.aco"]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x00\x01", "too short for a Photoshop swatch file"),
        (b"ASE\x00" + bytes(8), "starts with version 16723"),
        (_aco(COLOURS)[:-5], "colour 7's name of 4 characters at byte 322 runs past the end"),
        (struct.pack(">HH", 1, 3) + bytes(10), "colour 2 of 3 runs past the end of the file at byte 14"),
        (_aco([("Pantone only", 3, (1, 0, 0, 0))]), "holds no colour"),
    ],
)
def test_a_photoshop_swatch_file_that_cannot_be_read_says_where(data: bytes, said: str, tmp_path: Path) -> None:
    (tmp_path / "broken.aco").write_bytes(data)
    with pytest.raises(SpecError, match=said) as info:
        import_brand(tmp_path / "broken.aco", tmp_path / "out", headline_font="DejaVu Sans")
    assert str(tmp_path / "broken.aco") in info.value.message and not (tmp_path / "out").exists()


def test_a_photoshop_swatch_file_given_as_a_spec_says_what_it_is(tmp_path: Path) -> None:
    from brandkit.spec.loader import load_spec

    (tmp_path / "colours.aco").write_bytes(PHOTOSHOP_7)
    with pytest.raises(SpecError, match=r"it is Photoshop swatches \(\.aco\): convert it with brandkit spec import"):
        load_spec(tmp_path / "colours.aco")


def test_the_cli_imports_a_photoshop_swatch_file_and_names_a_broken_one(tmp_path: Path) -> None:
    from brandkit.cli import app

    (tmp_path / "ps7.aco").write_bytes(PHOTOSHOP_7)
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "spec",
            "import",
            str(tmp_path / "ps7.aco"),
            "--out",
            str(tmp_path / "out"),
            "--headline-font",
            "DejaVu Sans",
            "--no-download-fonts",
        ],
    )
    assert done.exit_code == 0, done.output
    assert _colours(tmp_path / "out") == {"Swatch 1": "#FF0000", "Swatch 2": "#00FF00"}
    (tmp_path / "cut.aco").write_bytes(PHOTOSHOP_7[:30])
    cut = runner.invoke(
        app,
        [
            "spec",
            "import",
            str(tmp_path / "cut.aco"),
            "--out",
            str(tmp_path / "out2"),
            "--headline-font",
            "DejaVu Sans",
        ],
    )
    assert cut.exit_code == 2 and "cut.aco" in cut.output and "runs past the end" in cut.output
    assert not (tmp_path / "out2").exists()


FUZZ = settings(  # as tests/test_fuzz_spec.py: reproducible, no example database written
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(
    blob=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda cut, noise: _aco(COLOURS)[:cut] + noise, st.integers(0, 400), st.binary(max_size=8)),
    )
)
def test_any_bytes_read_as_a_palette_or_refused_naming_the_file(blob: bytes) -> None:
    """Whatever the bytes — a Photoshop file cut anywhere, noise after it, random data —, the reader gives a
    palette or an :class:`AcoError` naming the file, never another exception."""
    try:
        palette = aco_palette(blob, Path("fuzz.aco"))
    except AcoError as exc:
        assert exc.message.startswith("fuzz.aco: ")
        return
    assert palette.version in (1, 2) and all(0 <= s.space <= 0xFFFF for s in palette.swatches)
