"""LogoCheck: presence, size, placement, distortion and clear space of the expected logo."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from brandkit.checks.base import CheckResources
from brandkit.checks.logo import PLACEMENT_CELLS, LogoCheck, placement_of
from brandkit.imageio import load_image
from brandkit.models import CheckResult, CheckStatus
from brandkit.spec.models import BrandSpec
from tests.checks_support import Poster, Text, context, draw_logo, make_spec

LOGO = draw_logo()
LOGO_H = round(240 * LOGO.height / LOGO.width)  # at the default 240 px width


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> BrandSpec:
    # min width 96 px, max 35% of the width, clear space 25% of the height, top-left or top-right
    return make_spec(tmp_path_factory.mktemp("logo"), logo=LOGO)


@pytest.fixture(scope="module")
def resources() -> CheckResources:
    return CheckResources()  # shared: the prepared logo is cached in it


def check(spec: BrandSpec, resources: CheckResources, poster: Poster, **order: object) -> CheckResult:
    order.setdefault("logo_variant", "primary")
    result = LogoCheck().run(context(spec, poster.render(), resources, **order))
    json.dumps(result.model_dump(mode="json"))  # details are plain JSON (no numpy scalars)
    return result


def headline() -> list[Text]:
    return [Text("Fresh Roast Friday", (64, 400), 72)]


def test_correct_logo_passes(spec: BrandSpec, resources: CheckResources) -> None:
    res = check(spec, resources, Poster(logo=LOGO, texts=headline()))
    assert res.status is CheckStatus.passed, res.details
    d = res.details
    assert d["found"] is True and d["method"] == "orb"
    assert d["placement"] == "top-left"
    assert d["rendered_width_px"] == pytest.approx(240, abs=3)
    assert d["box"] == [
        pytest.approx(64, abs=2),
        pytest.approx(64, abs=2),
        pytest.approx(304, abs=2),
        pytest.approx(64 + LOGO_H, abs=2),
    ]
    assert res.score is not None and res.score >= 0.85
    assert d["distorted"] is False and d["failed_rules"] == []


def test_other_allowed_corner_and_jpeg_pass(spec: BrandSpec, resources: CheckResources) -> None:
    poster = Poster(logo=LOGO, logo_xy=(1024 - 64 - 240, 64), texts=headline())
    buffer = io.BytesIO()
    poster.render().save(buffer, "JPEG", quality=70)
    data = buffer.getvalue()
    res = LogoCheck().run(context(spec, load_image(data), resources, data=data, logo_variant="primary"))
    assert res.status is CheckStatus.passed, res.details
    assert res.details["placement"] == "top-right"


def test_missing_logo_fails(spec: BrandSpec, resources: CheckResources) -> None:
    res = check(spec, resources, Poster(texts=[*headline(), Text("ACME", (64, 64), 60)]))
    assert res.status is CheckStatus.failed
    assert res.details["found"] is False
    assert res.hint == (
        "the logo 'primary' must appear top-left or top-right at ≥ 96 px wide with clear space of 25% of its "
        "height; it was not found in those places on the last attempt"
    )


def test_logo_too_small_fails(spec: BrandSpec, resources: CheckResources) -> None:
    res = check(spec, resources, Poster(logo=LOGO, logo_width=64, texts=headline()))
    assert res.status is CheckStatus.failed
    assert res.details["failed_rules"] == ["too_small"]
    assert res.details["rendered_width_px"] == pytest.approx(64, abs=3)
    assert "at least 96 px wide" in (res.hint or "")


def test_logo_too_large_fails(spec: BrandSpec, resources: CheckResources) -> None:
    res = check(spec, resources, Poster(logo=LOGO, logo_width=520, texts=headline()))
    assert res.status is CheckStatus.failed
    assert "too_large" in res.details["failed_rules"]
    assert "at most 35% of the image width" in (res.hint or "")


def test_logo_misplaced_fails(spec: BrandSpec, resources: CheckResources) -> None:
    res = check(spec, resources, Poster(logo=LOGO, logo_xy=(1024 - 64 - 240, 1024 - 64 - LOGO_H)))
    assert res.status is CheckStatus.failed
    assert res.details["failed_rules"] == ["misplaced"]
    assert res.details["placement"] == "bottom-right"
    assert "must be placed top-left, top-right; it was found bottom-right" in (res.hint or "")


@pytest.mark.parametrize("width", [240, 120], ids=["large-orb", "small"])
def test_squashed_logo_is_distorted(spec: BrandSpec, resources: CheckResources, width: int) -> None:
    squashed = round(width * LOGO.height / LOGO.width * 0.7)
    res = check(spec, resources, Poster(logo=LOGO, logo_width=width, logo_height=squashed, texts=headline()))
    assert res.status is CheckStatus.failed, res.details
    assert "distorted" in res.details["failed_rules"]
    assert res.details["aspect_change"] == pytest.approx(-0.3, abs=0.04)
    assert "must keep its original proportions" in (res.hint or "")


def test_crowded_logo_fails(spec: BrandSpec, resources: CheckResources) -> None:
    # a line of text 8 px under the logo, inside its 25% clear space (≈ 22 px)
    crowding = [Text("Fresh Roast Friday", (64, 64 + LOGO_H + 8), 26)]
    res = check(spec, resources, Poster(logo=LOGO, texts=crowding))
    assert res.status is CheckStatus.failed
    assert res.details["failed_rules"] == ["crowded"]
    assert res.details["clear_space"]["sides"]["bottom"] > 0.02
    assert "intrudes on its bottom side" in (res.hint or "")
    # the same line further down respects the clear space
    clear = [Text("Fresh Roast Friday", (64, 64 + LOGO_H + 40), 26)]
    assert check(spec, resources, Poster(logo=LOGO, texts=clear)).status is CheckStatus.passed


def test_logo_against_the_edge_fails(spec: BrandSpec, resources: CheckResources) -> None:
    res = check(spec, resources, Poster(logo=LOGO, logo_xy=(4, 4)))
    assert res.status is CheckStatus.failed
    assert res.details["clear_space"]["clipped_sides"] == ["top", "left"]
    assert "closer than that to the image edge" in (res.hint or "")
    lenient = LogoCheck(require_edge_margin=False).run(
        context(spec, Poster(logo=LOGO, logo_xy=(4, 4)).render(), resources, logo_variant="primary")
    )
    assert lenient.status is CheckStatus.passed


def test_skipped_and_not_checked(spec: BrandSpec, resources: CheckResources) -> None:
    image = Poster(logo=LOGO).render()
    skipped = LogoCheck().run(context(spec, image, resources))
    assert skipped.status is CheckStatus.skipped
    assert skipped.details["reason"] == "no logo variant expected"
    unknown = LogoCheck().run(context(spec, image, resources, logo_variant="inverse"))
    assert unknown.status is CheckStatus.not_checked
    assert "inverse" in unknown.details["reason"]


def test_unreadable_logo_file_is_not_checked(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("broken")
    broken = make_spec(root)
    (root / "logos" / "acme.png").write_bytes(b"not a png")
    res = LogoCheck().run(context(broken, Poster().render(), CheckResources(), logo_variant="primary"))
    assert res.status is CheckStatus.not_checked
    assert "unusable" in res.details["reason"]


def test_prepared_logo_is_cached_in_resources(spec: BrandSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    import brandkit.checks.logo.features_cache as logo_module  # where LogoCheck's preparation looks it up
    from brandkit.warm_cache import RESOURCE_KEY, WarmCache

    calls = []
    real = logo_module.prepare_logo

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(logo_module, "prepare_logo", counting)
    resources = CheckResources()
    resources.put(RESOURCE_KEY, WarmCache(None))  # no disk cache: the kit's memory is what is tested here
    image = Poster(logo=LOGO).render()
    for _ in range(3):
        LogoCheck().run(context(spec, image, resources, logo_variant="primary"))
    assert len(calls) == 1


def test_placement_grid() -> None:
    w = h = 900
    for name, (col, row) in PLACEMENT_CELLS.items():
        assert placement_of(col * 300 + 150, row * 300 + 150, w, h) == name
    assert placement_of(100, 450, w, h) == "middle-left"
    assert placement_of(800, 450, w, h) == "middle-right"
    assert placement_of(899.9, 0, w, h) == "top-right"


def test_example_brand_logo(northwind: BrandSpec) -> None:
    """The real Northwind logo file, placed the way the compose stage places it, passes."""
    variant = northwind.logo("primary")
    logo = load_image(northwind.asset_path(variant.file))
    resources = CheckResources()
    poster = Poster(
        background="#F3E9DC",
        logo=logo,
        logo_width=246,
        logo_xy=(56, 56),
        texts=[Text("Fresh Roast Friday", (56, 400), 80, fill="#1E1B18")],
    )
    res = LogoCheck().run(context(northwind, poster.render(), resources, logo_variant="primary"))
    assert res.status is CheckStatus.passed, res.details
    small = Poster(background="#F3E9DC", logo=logo, logo_width=110, logo_xy=(56, 56))
    res = LogoCheck().run(context(northwind, small.render(), resources, logo_variant="primary"))
    assert res.status is CheckStatus.failed
    assert "too_small" in res.details.get("failed_rules", []) or res.details["found"] is False


def test_image_mode_rgba_scene(spec: BrandSpec, resources: CheckResources) -> None:
    poster = Poster(logo=LOGO, background=(246, 241, 231, 255), mode="RGBA", texts=headline())
    res = LogoCheck().run(context(spec, poster.render(), resources, logo_variant="primary"))
    assert res.status is CheckStatus.passed, res.details


def test_logo_image_is_rgba_with_alpha() -> None:
    assert LOGO.mode == "RGBA"
    assert LOGO.getchannel("A").getextrema() == (0, 255)
    assert isinstance(LOGO, Image.Image)
