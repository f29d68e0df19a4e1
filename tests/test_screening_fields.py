"""Issue 12, one screening point: every text field of every request model, at any depth, is screened.

The fields are found from the models' type annotations (not from a list kept by hand), so a field added
later is covered by these tests the day it is added: a forbidden term in it must make ``compile_prompt`` /
``compile_edit`` raise :class:`ForbiddenContentError` naming that field. Variant plans expand into these
models; the plan tests show each plan field that reaches a provider ends in a screened request field.
"""

from __future__ import annotations

import io
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
import yaml
from PIL import Image
from pydantic import BaseModel

import brandkit
from brandkit.compile import compile_edit
from brandkit.errors import ForbiddenContentError
from brandkit.models import AssetRequest, EditRequest
from brandkit.screening import text_fields
from brandkit.spec.models import BrandSpec
from brandkit.variants.plan import EditSettings, LocaleCopy, PlanError, PlanReference, RequestPatch, expand_plan
from brandkit.variants.runner import dry_run

ROOT = Path(__file__).resolve().parents[1]
TERM = "Try Ѕtarbucks today"  # a northwind competitor, disguised (Cyrillic Ѕ)


def _text_slots(model: type[BaseModel], prefix: str = "") -> list[tuple[str, list[Any]]]:
    """(path, how to reach it) for every field whose annotation can hold free text (``Literal`` cannot)."""
    slots: list[tuple[str, list[Any]]] = []
    for name, info in model.model_fields.items():
        slots += _slots_of(info.annotation, f"{prefix}{name}", [name])
    return slots


def _slots_of(annotation: Any, path: str, steps: list[Any]) -> list[tuple[str, list[Any]]]:
    origin = get_origin(annotation)
    if annotation is str:
        return [(path, steps)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(p, steps + s) for p, s in _text_slots(annotation, f"{path}.")]
    if origin in (typing.Union, types.UnionType):
        out: list[tuple[str, list[Any]]] = []
        for arg in get_args(annotation):
            out += [slot for slot in _slots_of(arg, path, steps) if slot[0] not in {p for p, _ in out}]
        return out
    if origin is list:
        return _slots_of(get_args(annotation)[0], f"{path}[0]", [*steps, 0])
    if origin is dict:
        key, _value = get_args(annotation)
        return [(f"{path}['KEY']", [*steps, "KEY"])] if key is str else []
    if origin is Literal:
        return []
    return []


def _request_data(base: dict[str, Any], steps: list[Any], text: str) -> dict[str, Any]:
    """``base`` with ``text`` placed at ``steps`` (lists of one item; a reference gets a real image)."""
    data: dict[str, Any] = dict(base)
    name = steps[0]
    if len(steps) == 1:
        data[name] = text
    elif steps[1] == "KEY":
        data[name] = {text: "warn"}
    elif len(steps) == 2:
        data[name] = [text]
    else:
        data[name] = [{"data": _png(), steps[2]: text}]
    return data


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 60)).save(out, "PNG")
    return out.getvalue()


ASSET_SLOTS = _text_slots(AssetRequest)
EDIT_SLOTS = _text_slots(EditRequest)


def test_the_walk_finds_every_text_field_of_the_request_models() -> None:
    """``text_fields`` (what the compiler screens) yields a path for every text slot of the annotations."""
    for model, slots, base in (
        (AssetRequest, ASSET_SLOTS, {"brief": "A cup"}),
        (EditRequest, EDIT_SLOTS, {"instruction": "Warmer light"}),
    ):
        assert len(slots) >= 8
        for path, steps in slots:
            request = model.model_validate(_request_data(base, steps, "MARKER"))
            walked = list(text_fields(request))
            assert (path.replace("'KEY'", "'MARKER'"), "MARKER") in walked, (path, walked)


def test_the_slots_include_the_fields_the_issue_names() -> None:
    asset = {p for p, _ in ASSET_SLOTS}
    edit = {p for p, _ in EDIT_SLOTS}
    assert {"brief", "headline", "subhead", "cta", "purpose", "disclaimers[0]", "references[0].description"} <= asset
    assert {"instruction", "keep[0]", "disclaimers[0]", "headline"} <= edit


@pytest.mark.parametrize("path, steps", ASSET_SLOTS, ids=[p for p, _ in ASSET_SLOTS])
def test_a_forbidden_name_in_any_asset_request_field_is_refused(
    northwind: BrandSpec, path: str, steps: list[Any]
) -> None:
    request = AssetRequest.model_validate(_request_data({"brief": "A cup on a table"}, steps, TERM))
    with pytest.raises(ForbiddenContentError) as info:
        brandkit.compile(northwind, request)
    assert info.value.field == path.replace("'KEY'", repr(TERM))
    assert "Starbucks" in str(info.value)


@pytest.mark.parametrize("path, steps", EDIT_SLOTS, ids=[p for p, _ in EDIT_SLOTS])
def test_a_forbidden_name_in_any_edit_request_field_is_refused(
    northwind: BrandSpec, path: str, steps: list[Any]
) -> None:
    request = EditRequest.model_validate(_request_data({"instruction": "Warmer light"}, steps, TERM))
    with pytest.raises(ForbiddenContentError) as info:
        compile_edit(northwind, request, _png())
    assert info.value.field == path.replace("'KEY'", repr(TERM))


# --- plans ------------------------------------------------------------------------------------------------------


def test_every_plan_text_field_that_reaches_a_provider_lands_in_a_screened_request_field() -> None:
    """The plan models' text fields are request fields (screened by the walk above), or named here: the
    locale's language name goes into the edit instruction (screened as ``instruction``), and the master is
    an image file whose bytes are sent under the fixed name ``image-to-edit``."""
    request_fields = set(AssetRequest.model_fields) | set(EditRequest.model_fields)
    elsewhere = {("LocaleCopy", "language"), ("EditSettings", "master")}
    for model in (RequestPatch, LocaleCopy, EditSettings):
        for path, _ in _text_slots(model):
            top = path.split("[")[0].split(".")[0]
            assert top in request_fields or (model.__name__, top) in elsewhere, (model.__name__, path)
    assert {p for p, _ in _text_slots(PlanReference)} == {"path", "description"}  # → references[i]


def _plan(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "where, patch",
    [
        ("base.purpose", {"base": {"purpose": TERM}}),
        ("base.disclaimers", {"base": {"disclaimers": ["Valid in cafés", TERM]}}),
        ("axis value", {"axes": {"audience": [{"id": "a", "set": {"subhead": TERM}}]}}),
        ("reference description", {"base": {"references": [{"path": "ref.png", "description": TERM}]}}),
        ("locale copy", {"axes": {"locale": ["de"]}, "locales": {"de": {"cta": TERM, "headline": "Hallo"}}}),
        ("entry", {"entries": [{"name": "e", "set": {"headline": TERM}}]}),
    ],
)
def test_plan_fields_are_refused_before_anything_is_sent(tmp_path: Path, where: str, patch: dict[str, Any]) -> None:
    (tmp_path / "ref.png").write_bytes(_png())
    data: dict[str, Any] = {
        "name": "t",
        "spec": str(ROOT / "brand_specs" / "northwind"),
        "base": {"brief": "A cup of coffee on an oak table", "cta": "Order ahead", "headline": "Hi"},
    }
    for key, value in patch.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    with pytest.raises(PlanError) as info:
        dry_run(_plan(tmp_path, data))
    assert "Starbucks" in str(info.value), where


def test_plan_edit_keep_lines_are_screened(tmp_path: Path, northwind: BrandSpec) -> None:
    data = {
        "name": "t",
        "spec": str(ROOT / "brand_specs" / "northwind"),
        "base": {"brief": "A cup", "headline": "Slow mornings", "cta": "Order ahead"},
        "axes": {"locale": ["en", "de"]},
        "locales": {"de": {"headline": "Langsame Morgen", "cta": "Jetzt bestellen"}},
        "mode": "edit",
        "edit": {"keep": ["the cup", TERM]},
    }
    plan = expand_plan(_plan(tmp_path, data))
    (edit,) = [v for v in plan.variants if v.operation == "edit"]
    assert isinstance(edit.request, EditRequest)
    image = io.BytesIO()
    Image.new("RGB", (1024, 1024), (240, 230, 220)).save(image, "PNG")
    with pytest.raises(ForbiddenContentError) as info:
        compile_edit(northwind, edit.request, image.getvalue())
    assert info.value.field == "keep[1]"
