"""The sidecar beside every saved asset is a typed model with a JSON Schema, and reads back with typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pydantic
import pytest

import brandkit
from brandkit.asset_sidecar import AssetSidecar, read_sidecar, sidecar_path
from brandkit.models import EditRequest
from brandkit.schema import schema_of

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated asset, an edit of it and a conversation's second turn, each saved with its sidecar."""
    folder = tmp_path_factory.mktemp("sidecars")
    kit = brandkit.BrandKit(ROOT / "brand_specs" / "northwind", provider="local", checks=["technical", "palette"])
    made = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings", "cta": "Order ahead", "seed": 2})
    edited = kit.edit(made.data, "Warmer light", headline="Bright evenings")
    with kit.conversation({"brief": "A cup of coffee", "headline": "Slow mornings"}, out=folder / "chat") as chat:
        chat.turn()
        turn = chat.turn("make the headline say 'Good mornings'")
    assert turn.asset is not None and turn.path is not None
    return {
        "generate": made.save(folder / "made.png"),
        "edit": edited.save(folder / "edited.png"),
        "conversation": Path(turn.path),
    }


def test_every_sidecar_reads_back_as_written_and_validates_against_the_schema(saved: dict[str, Path]) -> None:
    schema = schema_of("asset-sidecar")
    jsonschema.Draft202012Validator.check_schema(schema)
    for kind, image in saved.items():
        written = json.loads(sidecar_path(image).read_text(encoding="utf-8"))
        jsonschema.validate(written, schema)
        record = read_sidecar(image)  # the image's path or the sidecar's: the same
        assert record == read_sidecar(sidecar_path(image))
        assert record.to_json() == written, kind  # the model is the file's one definition: nothing lost or added
        assert record.prompt.recorded_hash == record.prompt.prompt_hash == record.provenance.prompt_hash
        assert record.report.passed is written["report"]["passed"]
        assert record.image.width * record.image.height > 0 and record.image.bytes == image.stat().st_size
    assert isinstance(read_sidecar(saved["edit"]).request, EditRequest)
    assert read_sidecar(saved["edit"]).edit is not None
    assert read_sidecar(saved["conversation"]).conversation is not None
    assert read_sidecar(saved["conversation"]).conversation.turn == 2  # type: ignore[union-attr]


def test_the_schema_refuses_what_the_reader_refuses(saved: dict[str, Path]) -> None:
    written = json.loads(sidecar_path(saved["generate"]).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema_of("asset-sidecar"))
    for bad in (
        {**written, "request": {**written["request"], "headlin": "typo"}},
        {**written, "image": {**written["image"], "format": "gif"}},
        {key: value for key, value in written.items() if key != "provenance"},
    ):
        assert list(validator.iter_errors(bad))
        with pytest.raises(pydantic.ValidationError):  # the model refuses it too
            AssetSidecar.model_validate(bad)


def _broken(tmp_path: Path, name: str, text: str) -> Path:
    image = tmp_path / f"{name}.png"
    image.write_bytes(b"\x89PNG")
    sidecar_path(image).write_text(text, encoding="utf-8")
    return image


def test_a_bad_sidecar_is_a_typed_error_naming_the_file_and_the_field(saved: dict[str, Path], tmp_path: Path) -> None:
    written = json.loads(sidecar_path(saved["generate"]).read_text(encoding="utf-8"))
    missing = tmp_path / "nope.png"
    with pytest.raises(brandkit.SidecarError, match=r"nope\.png\.json: cannot read the sidecar") as info:
        read_sidecar(missing)
    assert info.value.path == str(sidecar_path(missing)) and info.value.field is None
    with pytest.raises(brandkit.SidecarError, match=r"invalid JSON at line 1, column 2"):
        read_sidecar(_broken(tmp_path, "torn", "{oops"))
    with pytest.raises(brandkit.SidecarError, match="a JSON object was expected"):
        read_sidecar(_broken(tmp_path, "list", "[1, 2]"))
    contradicting = {**written, "report": {**written["report"], "passed": not written["report"]["passed"]}}
    with pytest.raises(brandkit.SidecarError, match="passed is .* but the checks say") as info:
        read_sidecar(_broken(tmp_path, "liar", json.dumps(contradicting)))
    assert info.value.field == "report"
    typo = {**written, "request": {**written["request"], "headlin": "typo"}}
    with pytest.raises(brandkit.SidecarError, match="headlin") as info:
        read_sidecar(_broken(tmp_path, "typo", json.dumps(typo)))
    assert info.value.field is not None and info.value.field.startswith("request") and "headlin" in info.value.field
    with pytest.raises(brandkit.SidecarError, match="brandkit_version: Field required") as info:
        read_sidecar(_broken(tmp_path, "other", json.dumps({"name": "someone else's"})))
    assert "more problem(s)" in str(info.value) and isinstance(info.value, brandkit.BrandkitError)
