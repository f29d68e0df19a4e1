"""The labelled gate corpus: the manifest is complete and honest, the images render deterministically, the
photo-based ads put the photograph in the hero box and the brand colours in the zones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import brandkit
from brandkit.asset import read_embedded_provenance
from brandkit.color import hex_to_rgb
from brandkit.compile import compile_prompt
from brandkit.compose import background_color
from brandkit.imageio import load_image
from brandkit.provider.photo_library import brief_text, choose_photo
from brandkit.spec.models import ColorRole
from tests.support.gate_corpus import (
    MANIFEST,
    CorpusError,
    GateCase,
    _read_manifest,
    _request,
    load_cases,
    render_all,
    render_case,
    scaled_box,
)

ROOT = Path(__file__).resolve().parents[1]
BRANDS = {"northwind", "lumen-health", "ubuntu"}
VIOLATIONS = {
    "competitor_field",
    "off_tint",
    "forbidden_color",
    "missing_primary",
    "neutral_only",
    "near_black",
    "saturated_neon",
    "cool_cast",
    "off_brand_photo",
}


@pytest.fixture(scope="module")
def cases() -> list[GateCase]:
    return load_cases()


def _sample(cases: list[GateCase]) -> list[GateCase]:
    """One case per kind: every edit of the corpus, rendered at least once."""
    seen: dict[str, GateCase] = {}
    for case in cases:
        seen.setdefault(case.kind, case)
    return list(seen.values())


def test_the_corpus_is_large_and_covers_every_brand_label_and_violation(cases: list[GateCase]) -> None:
    assert len(cases) >= 150
    assert {c.brand for c in cases} == BRANDS
    for brand in BRANDS:
        labels = Counter(c.label for c in cases if c.brand == brand)
        assert labels["on"] >= 20 and labels["off"] >= 20, brand
    kinds = {c.kind for c in cases if c.label == "off"}
    assert kinds >= VIOLATIONS
    assert {c.kind for c in cases if c.label == "on"} >= {"composed", "tonal_variation", "jpeg_copy"}
    assert not {c.kind for c in cases if c.label == "on"} & VIOLATIONS  # a violation kind is never labelled on
    assert len({c.id for c in cases}) == len(cases)


def test_every_case_states_a_reason_and_its_brand_art_direction(cases: list[GateCase]) -> None:
    data = _read_manifest(MANIFEST)
    assert set(data["art_direction"]) == BRANDS
    for case in cases:
        assert case.art_direction == data["art_direction"][case.brand]
        prefix = "On brand:" if case.label == "on" else "Off brand:"
        assert case.reason.startswith(prefix) and len(case.reason) > 30, case.id


def test_layout_cases_know_the_hero_box_and_foreign_copies_do_not(cases: list[GateCase]) -> None:
    specs = {b: brandkit.load_spec(ROOT / "brand_specs" / b) for b in BRANDS}
    foreign = [c for c in cases if not c.has_layout]
    assert foreign and any(c.label == "on" for c in foreign) and any(c.label == "off" for c in foreign)
    for case in cases:
        if case.has_layout:
            layout = compile_prompt(specs[case.brand], _request(case)).layout
            assert case.photo_box == layout.hero_box and case.photo_box is not None, case.id
        else:
            assert case.photo_box is None, case.id


def test_every_library_photo_case_is_what_the_renderer_picks_for_its_brief(cases: list[GateCase]) -> None:
    specs = {b: brandkit.load_spec(ROOT / "brand_specs" / b) for b in BRANDS}
    checked = 0
    for case in cases:
        if not case.library_photo or any(op["op"] == "bare_photo" for op in case.ops):
            continue
        prompt = compile_prompt(specs[case.brand], _request(case))
        assert prompt.layout.hero_box is not None
        choice = choose_photo(specs[case.brand], brief_text(prompt), case.format, prompt.layout.hero_box, case.seed)
        assert choice is not None and choice.photo.id == case.photo, case.id
        checked += 1
    assert checked >= 100


def test_each_kind_renders_deterministically(cases: list[GateCase]) -> None:
    for case in _sample(cases):
        first = render_case(case, size=384)
        assert render_case(case, size=384) == first, case.id
        image = load_image(first)
        assert max(image.size) == 384


def test_composed_ads_carry_provenance_and_foreign_copies_do_not(cases: list[GateCase]) -> None:
    composed = next(c for c in cases if c.kind == "composed" and c.brand == "northwind")
    copy = next(c for c in cases if c.kind == "jpeg_copy" and c.brand == "northwind")
    record = read_embedded_provenance(render_case(composed, size=256))
    assert record is not None and record["spec_name"] == "Northwind Coffee"
    data = render_case(copy, size=256)
    assert data[:3] == b"\xff\xd8\xff" and read_embedded_provenance(data) is None


@pytest.mark.parametrize("brand", sorted(BRANDS))
def test_the_photo_ad_puts_the_photo_in_the_hero_box_and_brand_colours_in_the_zones(
    cases: list[GateCase], brand: str
) -> None:
    case = next(c for c in cases if c.brand == brand and c.kind == "composed" and c.format == "square")
    spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
    image = np.asarray(load_image(render_case(case)).convert("RGB")).astype(int)
    box = case.photo_box
    assert box is not None
    hero = image[box.y0 : box.y1, box.x0 : box.x1].reshape(-1, 3)
    outside = np.ones(image.shape[:2], dtype=bool)
    outside[box.y0 : box.y1, box.x0 : box.x1] = False
    zone = image[outside]
    palette = np.asarray([hex_to_rgb(c.hex) for c in spec.palette.colors])
    in_palette = lambda px: (px[:, None, :] == palette[None, :, :]).all(axis=-1).any(axis=-1)  # noqa: E731
    # a photograph: many distinct colours, almost none of them exact brand colours
    assert len(np.unique(hero, axis=0)) > 5000
    assert in_palette(hero).mean() < 0.05
    # the brand zones: flat brand colours, with the background and the primary colour present
    assert in_palette(zone).mean() > 0.9
    bg = np.asarray(background_color(spec, case.background))
    assert (zone == bg).all(axis=-1).mean() > 0.5
    primary = np.asarray(hex_to_rgb(spec.palette.by_role(ColorRole.primary)[0].hex))
    assert (zone == primary).all(axis=-1).mean() > 0.02


@pytest.mark.parametrize(
    ("kind", "region"),
    [
        ("off_tint", "photo"),
        ("saturated_neon", "photo"),
        ("cool_cast", "photo"),
        ("off_brand_photo", "photo"),
        ("competitor_field", "zones"),
        ("missing_primary", "zones"),
    ],
)
def test_each_edit_changes_only_its_region(cases: list[GateCase], kind: str, region: str) -> None:
    edited = next(c for c in cases if c.kind == kind and c.brand == "northwind")
    base = next(
        c
        for c in cases
        if c.kind == "composed"
        and (c.brand, c.format, c.background, c.brief) == (edited.brand, edited.format, edited.background, edited.brief)
    )
    a = np.asarray(load_image(render_case(base)).convert("RGB")).astype(int)
    b = np.asarray(load_image(render_case(edited)).convert("RGB")).astype(int)
    box = edited.photo_box
    assert box is not None
    inside = np.zeros(a.shape[:2], dtype=bool)
    inside[box.y0 : box.y1, box.x0 : box.x1] = True
    changed = np.abs(a - b).sum(axis=-1) > 0
    if region == "photo":
        assert changed[inside].mean() > 0.5 and not changed[~inside].any(), kind
    else:
        assert changed[~inside].mean() > 0.005 and not changed[inside].any(), kind


def test_render_all_caches_by_content_hash(tmp_path: Path, cases: list[GateCase]) -> None:
    chosen = [cases[0], next(c for c in cases if not c.has_layout)]
    first = render_all(chosen, tmp_path, size=200)
    stamps = {k: p.stat().st_mtime_ns for k, p in first.items()}
    second = render_all(chosen, tmp_path, size=200)
    assert second == first and {k: p.stat().st_mtime_ns for k, p in second.items()} == stamps
    assert first[chosen[1].id].suffix == ".jpg"
    other = render_all(chosen[:1], tmp_path, size=180)
    assert other[chosen[0].id] != first[chosen[0].id]  # another size is another file


def test_scaled_box_follows_the_downscale() -> None:
    case_size = (1536, 1024)
    box = brandkit.layout.Box(x0=922, y0=56, x1=1480, y1=950)
    assert scaled_box(box, case_size, 768) == brandkit.layout.Box(x0=461, y0=28, x1=740, y1=475)
    assert scaled_box(box, case_size, None) == box


def test_a_case_whose_brief_picks_another_photo_is_refused(cases: list[GateCase]) -> None:
    case = next(c for c in cases if c.id.startswith("northwind-coffee-cup-square-composed"))
    wrong = GateCase(**{**case.__dict__, "photo": "cafe-cat"})
    with pytest.raises(CorpusError, match="chose photo 'coffee-cup'"):
        render_case(wrong, size=128)


def test_a_malformed_manifest_names_the_case(tmp_path: Path) -> None:
    path = tmp_path / "corpus.yaml"
    path.write_text(
        "art_direction: {}\nbriefs: {northwind: {coffee-cup: {brief: coffee}}}\ncases:\n"
        "  - {id: a, brand: northwind, photo: coffee-cup, format: square, kind: composed, label: maybe, reason: r}\n",
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match="case 'a': label must be 'on' or 'off'"):
        load_cases(path, with_boxes=False)
