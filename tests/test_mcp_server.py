"""``brandkit mcp``'s tools: an MCP client of the official SDK drives the server in-process (memory streams).
Offline: the local renderer, real files, a real SQLite registry; the OpenAI path against the loopback server.
The command as a process (stdio, streamable HTTP) is in ``test_mcp_transport.py``."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult
from PIL import Image

from brandkit.checks.technical import TechnicalCheck
from brandkit.mcp import BrandServer, ServerConfig, build_server, discover_brands
from brandkit.provider.pricing import DEFAULT_PRICES
from brandkit.registry import Registry
from brandkit.spec.loader import load_spec
from tests.mcp_support import LUMEN, NORTHWIND, REQUEST, ROOT, call, error_of
from tests.support.never_passes import NeverPasses


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's folders: ``out`` (outputs, an allowed root), ``extra`` (another root), ``outside``, the db."""
    base = tmp_path_factory.mktemp("mcp")
    for name in ("out", "extra", "outside"):
        (base / name).mkdir()
    Registry.open(base / "brandkit.db").close()  # a real, empty registry
    return base


@pytest.fixture(scope="module")
def server(place: Path) -> BrandServer:
    """One server for the module: two brands, the registry, the technical check only (the checks have their own
    tests; the full set runs in the stdio test)."""
    config = ServerConfig(
        brands=discover_brands([NORTHWIND, LUMEN], None),
        out=place / "out",
        roots=(place / "extra",),
        db=place / "brandkit.db",
        max_budget_usd=2.0,
    )
    return build_server(config, checks=[TechnicalCheck()])


def outputs(place: Path) -> set[str]:
    return {p.name for p in (place / "out").iterdir()}


@pytest.fixture(scope="module")
def generated(server: BrandServer, place: Path) -> dict[str, Any]:
    """One offline generate call, shared by the tests that need an asset."""
    import anyio

    async def run() -> CallToolResult:
        return await call(server, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 0.5})

    result = anyio.run(run)
    assert not result.is_error, result.content
    return {"result": result, "data": result.structured_content}


# --- tools and schemas -------------------------------------------------------------------------------------


async def test_tools_are_listed_with_schemas_from_the_sdk_models(server: BrandServer, place: Path) -> None:
    async with Client(server.mcp, mode="legacy") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {
        "list_brands",
        "show_rules",
        "compile",
        "generate",
        "edit",
        "validate",
        "review_queue",
        "review_decide",
        "review_report",
    }
    generate = tools["generate"].input_schema
    assert set(generate["required"]) == {"brand", "request", "budget_usd"}  # spending needs a budget
    assert "AssetRequest" in generate["$defs"] and "headline" in generate["$defs"]["AssetRequest"]["properties"]
    assert "budget_usd" in tools["edit"].input_schema["required"]
    assert "EditRequest" in tools["edit"].input_schema["$defs"]
    assert "ValidationReport" in json.dumps(tools["validate"].output_schema)
    assert tools["compile"].annotations is not None and tools["compile"].annotations.read_only_hint
    assert tools["generate"].annotations is not None and not tools["generate"].annotations.read_only_hint
    without_db = build_server(ServerConfig(brands=discover_brands([NORTHWIND], None), out=place / "out"))
    names = {tool.name for tool in await without_db.mcp.list_tools()}
    assert not {"review_queue", "review_decide", "review_report"} & names and "generate" in names
    assert tools["review_report"].annotations is not None and tools["review_report"].annotations.read_only_hint


async def test_list_brands_and_show_rules_come_from_the_specs(server: BrandServer) -> None:
    listed = await call(server, "list_brands", {})
    brands = {b["key"]: b for b in listed.structured_content["brands"]}
    spec = load_spec(NORTHWIND)
    assert set(brands) == {"northwind", "lumen-health"}
    assert brands["northwind"]["name"] == spec.name
    assert brands["northwind"]["formats"]["square"] == f"{spec.formats['square'].width}x{spec.formats['square'].height}"
    rules = (await call(server, "show_rules", {"brand": "northwind"})).structured_content
    assert [c["hex"].upper() for c in rules["palette"]["colors"]] == [c.hex.upper() for c in spec.palette.colors]
    assert rules["forbidden"]["terms"] == spec.forbidden.terms
    assert rules["typography"]["min_contrast"] == spec.typography.min_contrast
    assert rules["logos"][0]["variant"] == spec.logos[0].variant


async def test_compile_is_a_dry_run_with_the_price_table_cost(server: BrandServer, place: Path) -> None:
    before = outputs(place)
    result = await call(server, "compile", {"brand": "northwind", "request": {**REQUEST, "format": "portrait"}})
    assert not result.is_error, result.content
    data = result.structured_content
    spec = load_spec(NORTHWIND)
    story = spec.formats["portrait"]
    assert data["size"] == f"{story.width}x{story.height}" and "Slow mornings" in data["prompt"]
    expected = DEFAULT_PRICES.estimate_cost(
        data["params"]["model"], data["params"]["quality"], story.width, story.height
    )
    assert data["estimated_cost_usd"] == pytest.approx(expected)
    assert data["worst_case_usd"] >= data["estimated_cost_usd"] > 0
    assert outputs(place) == before  # nothing written, nothing spent


async def test_a_brand_s_palette_modes_are_listed_and_compile_and_generate_take_one(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    config = ServerConfig(brands=discover_brands([NORTHWIND, LUMEN], None), out=tmp_path / "out", max_budget_usd=2.0)
    server, place = build_server(config, checks=[TechnicalCheck()]), tmp_path  # its own outputs, no registry
    listed = await call(server, "list_brands", {})
    modes = {b["key"]: b["modes"] for b in listed.structured_content["brands"]}
    assert modes == {"northwind": [], "lumen-health": ["dark"]}
    request = {**REQUEST, "brief": "A nurse listening", "headline": "Care that listens"}
    light = (await call(server, "compile", {"brand": "lumen-health", "request": request})).structured_content
    dark = await call(server, "compile", {"brand": "lumen-health", "request": request, "mode": "dark"})
    assert not dark.is_error, dark.content
    assert "#0E1A2B" in dark.structured_content["prompt"] and "#0E1A2B" not in light["prompt"]
    made = await call(
        server, "generate", {"brand": "lumen-health", "request": request, "budget_usd": 0.5, "mode": "dark"}
    )
    assert not made.is_error, made.content
    sidecar = json.loads(Path(made.structured_content["sidecar"]).read_text())
    assert sidecar["spec"]["mode"] == "dark" and sidecar["prompt"]["background_hex"] == "#0E1A2B"
    before = outputs(place)
    bad = error_of(
        await call(server, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 0.5, "mode": "dark"})
    )
    assert bad["error"] == "RequestError" and bad["field"] == "mode" and "palette.modes is empty" in bad["message"]
    assert outputs(place) == before
    # validate: the mode the provenance names; a bare copy (no record) in the mode asked, else the default colours
    made_bytes = Path(made.structured_content["path"]).read_bytes()
    bare = io.BytesIO()
    Image.open(io.BytesIO(made_bytes)).convert("RGB").save(bare, "PNG")
    checks = {
        name: (
            await call(
                server, "validate", {"brand": "lumen-health", "image_base64": base64.b64encode(data).decode(), **extra}
            )
        )
        for name, data, extra in (
            ("recorded", made_bytes, {}),
            ("bare", bare.getvalue(), {}),
            ("bare, dark", bare.getvalue(), {"mode": "dark"}),
        )
    }
    modes = {name: result.structured_content["report"]["spec_mode"] for name, result in checks.items()}
    assert modes == {"recorded": "dark", "bare": None, "bare, dark": "dark"}
    # edit: mode is the request's palette_mode — the dark asset re-themed into the brand's own colours
    light = await call(
        server,
        "edit",
        {
            "brand": "lumen-health",
            "image_base64": base64.b64encode(made_bytes).decode(),
            "request": {"instruction": "The light version"},
            "budget_usd": 0.5,
            "mode": "default",
        },
    )
    assert not light.is_error, light.content
    edited = json.loads(Path(light.structured_content["sidecar"]).read_text())
    assert edited["spec"]["mode"] is None and edited["edit"]["changed"]["mode"] == {"before": "dark", "after": None}
    assert edited["prompt"]["background_hex"] == "#F5F8FC" and edited["edit"]["retheme"]


# --- spending tools ----------------------------------------------------------------------------------------


async def test_generate_without_or_over_budget_is_refused_before_anything_runs(
    server: BrandServer, place: Path
) -> None:
    before = outputs(place)
    missing = error_of(await call(server, "generate", {"brand": "northwind", "request": REQUEST}))
    assert missing["error"] == "RequestValidationError" and missing["field"] == "budget_usd"
    over = error_of(await call(server, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 5}))
    assert over["error"] == "RequestError" and over["field"] == "budget_usd" and "2.0" in over["message"]
    zero = error_of(await call(server, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 0}))
    assert zero["field"] == "budget_usd"
    assert outputs(place) == before


def test_generate_offline_returns_the_image_the_report_and_the_saved_file(
    generated: dict[str, Any], place: Path
) -> None:
    result, data = generated["result"], generated["data"]
    image_blocks = [block for block in result.content if block.type == "image"]
    assert len(image_blocks) == 1 and image_blocks[0].mime_type == "image/png"
    sent = base64.b64decode(image_blocks[0].data)
    saved = Path(data["path"])
    assert saved.parent == (place / "out").resolve() or saved.parent == place / "out"
    assert saved.read_bytes() == sent and Path(data["sidecar"]).is_file()
    assert Image.open(io.BytesIO(sent)).size == (1024, 1024)
    assert data["provider"] == "local" and data["budget_usd"] == 0.5 and data["cost_usd"] <= 0.5
    assert data["report"]["checks"]["technical"]["status"] == "passed"
    assert data["registry_id"] is not None
    with Registry.open(place / "brandkit.db") as registry:
        assert registry.get_asset(data["registry_id"]).row.path == str(saved)


async def test_edit_offline_changes_the_headline_within_its_budget(
    server: BrandServer, generated: dict[str, Any], place: Path
) -> None:
    path = generated["data"]["path"]
    refused = error_of(
        await call(
            server, "edit", {"brand": "northwind", "image_path": path, "request": {"instruction": "Say it in French"}}
        )
    )
    assert refused["field"] == "budget_usd"
    result = await call(
        server,
        "edit",
        {
            "brand": "northwind",
            "image_path": path,
            "budget_usd": 0.5,
            "request": {"instruction": "Localize the headline", "headline": "Bonjour"},
        },
    )
    assert not result.is_error, result.content
    data = result.structured_content
    assert Path(data["path"]).is_file() and data["path"] != path and "-edited-" in Path(data["path"]).name
    assert data["edit"]["changed"] and any(block.type == "image" for block in result.content)
    with Registry.open(place / "brandkit.db") as registry:  # the edit is linked to the asset it started from
        assert registry.get_asset(data["registry_id"]).row.parent_id == generated["data"]["registry_id"]


async def test_edit_takes_a_mask_by_path_or_base64_and_refuses_one_that_does_not_fit(
    server: BrandServer, generated: dict[str, Any], place: Path
) -> None:
    path = generated["data"]["path"]
    edit = {"brand": "northwind", "image_path": path, "budget_usd": 0.5, "request": {"instruction": "Warmer light"}}
    rgba = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 1024, 300))  # the top may change
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    mask_file = place / "out" / "mask.png"
    mask_file.write_bytes(buffer.getvalue())
    result = await call(server, "edit", {**edit, "mask_path": str(mask_file)})
    assert not result.is_error, result.content
    before = Image.open(path).convert("RGB").crop((0, 300, 1024, 1024))
    after = Image.open(result.structured_content["path"]).convert("RGB").crop((0, 300, 1024, 1024))
    assert before.tobytes() == after.tobytes()  # the opaque part of the mask kept every pixel (local renderer)
    small = io.BytesIO()
    rgba.resize((64, 64)).save(small, "PNG")
    refused = error_of(await call(server, "edit", {**edit, "mask_base64": base64.b64encode(small.getvalue()).decode()}))
    assert refused["field"] == "mask" and "64x64 is not the size of the image to edit (1024x1024)" in refused["message"]
    both = error_of(await call(server, "edit", {**edit, "mask_path": str(mask_file), "mask_base64": "AAAA"}))
    assert both["field"] == "mask_path"
    outside = error_of(await call(server, "edit", {**edit, "mask_path": "/etc/hostname"}))
    assert outside["field"] == "mask_path"


async def test_an_unusable_output_folder_is_refused_before_anything_is_rendered(tmp_path: Path) -> None:
    server = build_server(
        ServerConfig(brands=discover_brands([NORTHWIND], None), out=tmp_path / "out"), checks=[TechnicalCheck()]
    )
    (tmp_path / "out").write_bytes(b"a file where the output folder should be")
    failure = error_of(await call(server, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 0.1}))
    assert failure["error"] == "OutputFolderError" and "OutputError" in failure["kinds"]
    assert failure["path"] == str(tmp_path / "out")


async def test_a_generation_no_attempt_of_which_passes_reports_why_and_keeps_the_best(place: Path) -> None:
    db = place / "strict.db"
    Registry.open(db).close()  # the server reads and writes an existing registry
    strict = build_server(
        ServerConfig(brands=discover_brands([NORTHWIND], None), out=place / "strict", db=db),
        checks=[TechnicalCheck(), NeverPasses()],
    )
    answer = await call(strict, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 1})
    failure = error_of(answer)
    assert failure["error"] == "BrandViolationError"
    assert failure["report"]["checks"]["never"]["status"] == "failed"
    assert failure["report"]["checks"]["technical"]["status"] == "passed"
    kept = failure["rejected"]  # what the budget paid for: saved, recorded as failed, said
    path = Path(kept["path"])
    assert kept["passed"] is False and path.is_file() and Path(kept["sidecar"]).is_file()
    assert path.parent == place / "strict" and path.name.startswith("northwind-square-rejected-")
    assert f"best attempt kept for review: {path}" in answer.content[0].text  # type: ignore[union-attr]
    edited = error_of(
        await call(
            strict,
            "edit",
            {"brand": "northwind", "image_path": str(path), "request": {"instruction": "Warmer"}, "budget_usd": 1},
        )
    )
    assert Path(edited["rejected"]["path"]).name.startswith(f"{path.stem}-edited-rejected-")
    assert edited["rejected"]["edit"] is not None
    with Registry.open(db) as registry:
        rows = registry.list_assets()
    assert sorted((r.kind, r.passed) for r in rows) == [("edit", False), ("generate", False)]
    assert {r.id for r in rows} >= {kept["registry_id"], edited["rejected"]["registry_id"]}
    queue = await call(strict, "review_queue", {"gates": "failed"})
    assert sorted(i["id"] for i in queue.structured_content["items"]) == sorted(r.id for r in rows)
    assert (await call(strict, "review_queue", {"gates": "passed"})).structured_content["items"] == []
    # approving it overrides its failed checks: only with a note
    decide = {"asset_id": kept["registry_id"], "decision": "approve", "reviewer": "ann"}
    refused = error_of(await call(strict, "review_decide", decide))
    assert refused["error"] == "ReviewStateError" and "overrides them" in refused["message"]
    approved = await call(strict, "review_decide", {**decide, "note": "the client's own green"})
    assert not approved.is_error and approved.structured_content["state"] == "approved"


# --- validate ----------------------------------------------------------------------------------------------


async def test_validate_by_path_and_by_base64_agree(server: BrandServer, generated: dict[str, Any]) -> None:
    path = generated["data"]["path"]
    by_path = await call(server, "validate", {"brand": "northwind", "image_path": path})
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    by_data = await call(server, "validate", {"brand": "northwind", "image_base64": encoded})
    assert not by_path.is_error and not by_data.is_error

    def verdicts(result: CallToolResult) -> dict[str, tuple[str, Any]]:
        checks = result.structured_content["report"]["checks"]
        return {name: (check["status"], check["score"]) for name, check in checks.items()}

    assert verdicts(by_path) == verdicts(by_data) and by_path.structured_content["passed"]
    assert by_data.structured_content["source"] == "<base64>"
    said = await call(server, "validate", {"brand": "northwind", "image_path": path, "headline": "Slow mornings"})
    assert not said.is_error and said.structured_content["report"]["provenance"]["copy_source"] == "request"
    alone = error_of(await call(server, "validate", {"brand": "northwind", "image_path": path, "format": "square"}))
    assert alone["field"] == "format"  # a format with no copy to place would be ignored: refused instead
    odd = io.BytesIO()
    Image.new("RGB", (300, 200), "#F3E9DC").save(odd, "PNG")
    sized = await call(
        server,
        "validate",
        {"brand": "northwind", "headline": "Slow mornings", "image_base64": base64.b64encode(odd.getvalue()).decode()},
    )
    assert not sized.is_error  # no format is the image's size: the nearest in aspect, its layout scaled, and said
    provenance = sized.structured_content["report"]["provenance"]
    assert provenance["layout"] == (
        "the copy and logo expected in the landscape layout (1536x1024) scaled to the image's 300x200"
    )
    relative = await call(server, "validate", {"brand": "northwind", "image_path": Path(path).name})
    assert not relative.is_error and relative.structured_content["source"] == str(Path(path).resolve())


async def test_validate_reads_only_inside_the_allowed_roots(
    server: BrandServer, place: Path, generated: dict[str, Any]
) -> None:
    image = Path(generated["data"]["path"]).read_bytes()
    (place / "outside" / "secret.png").write_bytes(image)
    (place / "extra" / "ok.png").write_bytes(image)
    link = place / "out" / "leads-out.png"
    if not link.exists():
        link.symlink_to(place / "outside" / "secret.png")
    for given in (str(place / "outside" / "secret.png"), str(link), "../outside/secret.png", "/etc/passwd"):
        failure = error_of(await call(server, "validate", {"brand": "northwind", "image_path": given}))
        assert failure["error"] == "RequestError" and failure["field"] == "image_path", given
        assert "outside the server's allowed roots" in failure["message"]
    extra = await call(server, "validate", {"brand": "northwind", "image_path": str(place / "extra" / "ok.png")})
    assert not extra.is_error
    folder = error_of(await call(server, "validate", {"brand": "northwind", "image_path": str(place / "extra")}))
    assert "not a regular file" in folder["message"]
    notes = place / "extra" / "notes.png"
    notes.write_bytes(b"meeting notes, not a picture")  # read, then not decodable: the file named, not "<28 bytes>"
    for tool, more in (("validate", {}), ("edit", {"budget_usd": 0.5, "request": {"instruction": "x"}})):
        failure = error_of(await call(server, tool, {"brand": "northwind", "image_path": str(notes), **more}))
        assert failure["error"] == "ImageInputError" and failure["path"] == str(notes), (tool, failure)
        assert failure["message"] == f"{notes}: not a recognised image format"


async def test_errors_are_typed_and_name_the_field(server: BrandServer) -> None:
    unknown = error_of(await call(server, "show_rules", {"brand": "acme"}))
    assert unknown["error"] == "RequestError" and unknown["field"] == "brand" and "northwind" in unknown["message"]
    typo = error_of(await call(server, "compile", {"brand": "northwind", "request": {**REQUEST, "headlin": "x"}}))
    assert typo["error"] == "RequestValidationError" and typo["field"] == "request.headlin"
    assert "did you mean 'headline'" in typo["message"]
    dropped = error_of(await call(server, "validate", {"brand": "northwind", "image_base64": "AAAA", "headlin": "x"}))
    assert dropped["field"] == "headlin" and "did you mean 'headline'" in dropped["message"]  # never ignored
    extra = error_of(await call(server, "list_brands", {"brand": "northwind"}))
    assert extra["error"] == "RequestValidationError" and extra["field"] == "brand"
    leaked = error_of(
        await call(
            server, "compile", {"brand": "northwind", "request": {**REQUEST, "references": [{"path": "/etc/hosts"}]}}
        )
    )
    assert leaked["field"] == "request.references[0].path" and "allowed roots" in leaked["message"]
    inline = error_of(
        await call(server, "compile", {"brand": "northwind", "request": {**REQUEST, "references": [{"data": "abc"}]}})
    )
    assert inline["field"] == "request.references[0]"
    spec = load_spec(NORTHWIND)
    banned = spec.forbidden.terms[0]
    forbidden = error_of(
        await call(server, "compile", {"brand": "northwind", "request": {**REQUEST, "headline": f"Now {banned}"}})
    )
    assert forbidden["error"] == "ForbiddenContentError" and "RequestError" in forbidden["kinds"]
    both = error_of(await call(server, "validate", {"brand": "northwind"}))
    assert both["field"] == "image_path" and "exactly one" in both["message"]
    junk = error_of(await call(server, "validate", {"brand": "northwind", "image_base64": "not base64!"}))
    assert junk["field"] == "image_base64"
    broken = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode("ascii")
    unreadable = error_of(await call(server, "validate", {"brand": "northwind", "image_base64": broken}))
    assert unreadable["error"] == "ImageInputError"


async def test_one_kit_per_brand_is_built_lazily_and_kept(place: Path) -> None:
    fresh = build_server(
        ServerConfig(brands=discover_brands([NORTHWIND, LUMEN], None), out=place / "out"), checks=[TechnicalCheck()]
    )
    assert fresh.service.built_kits() == []
    listed = await call(fresh, "compile", {"brand": "northwind", "request": REQUEST})
    assert not listed.is_error and fresh.service.built_kits() == ["northwind"]
    first = await fresh.service.kit("northwind")
    assert await fresh.service.kit("northwind") is first
    assert await fresh.service.kit("lumen-health") is not first


async def test_a_path_a_tool_returns_can_be_given_back_from_a_relative_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = build_server(
        ServerConfig(brands=discover_brands([NORTHWIND], None), out=Path("out")), checks=[TechnicalCheck()]
    )
    made = await call(relative, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": 0.1})
    path = made.structured_content["path"]
    assert Path(path).is_absolute() and Path(path).parent == tmp_path / "out"
    monkeypatch.chdir(ROOT)  # the client's working folder does not matter
    again = await call(relative, "validate", {"brand": "northwind", "image_path": path})
    assert not again.is_error, again.content
    (tmp_path / "x.png").write_bytes(Path(path).read_bytes())  # beside out/, not in it
    outside = error_of(await call(relative, "validate", {"brand": "northwind", "image_path": "../x.png"}))
    assert f"outside the server's allowed roots ({tmp_path / 'out'})" in outside["message"]


# --- review ------------------------------------------------------------------------------------------------


async def test_review_queue_and_decisions_go_through_the_registry(
    server: BrandServer, place: Path, generated: dict[str, Any]
) -> None:
    asset_id = generated["data"]["registry_id"]
    pending = (await call(server, "review_queue", {"brand": "northwind"})).structured_content
    assert asset_id in [item["id"] for item in pending["items"]]
    no_note = error_of(await call(server, "review_decide", {"asset_id": asset_id, "decision": "reject"}))
    assert no_note["error"] == "ReviewStateError"
    missing = error_of(await call(server, "review_decide", {"asset_id": 999999, "decision": "approve"}))
    assert missing["error"] == "AssetNotFoundError"
    changed = await call(
        server,
        "review_decide",
        {"asset_id": asset_id, "decision": "request_changes", "note": "Warmer light on the cup", "reviewer": "ana"},
    )
    assert not changed.is_error, changed.content
    new = changed.structured_content["regenerated"]
    assert new["id"] != asset_id and Path(new["path"]).is_file()
    approved = await call(server, "review_decide", {"asset_id": new["id"], "decision": "approve", "reviewer": "ana"})
    assert approved.structured_content["state"] == "approved"
    with Registry.open(place / "brandkit.db") as registry:
        assert registry.get_asset(asset_id).row.state.value == "changes_requested"
        assert registry.get_asset(new["id"]).row.parent_id == asset_id
        assert [e.reviewer for e in registry.events(new["id"])] == ["ana"]
    # the team's figures: the asset sent back and its approved regeneration are one deliverable, revised, approved
    report = await call(server, "review_report", {"by": "spec"})
    assert not report.is_error, report.content
    figures = report.structured_content["metrics"]
    assert (figures["reviewed_deliverables"], figures["approved_deliverables"]) == (1, 1)
    assert (figures["approval_rate"], figures["revision_rate"]) == (1.0, 1.0)
    assert set(report.structured_content["groups"]) == {"Northwind Coffee"}
    assert "1 deliverable(s) reviewed: approval 100%, revision 100%" in report.content[0].text
    bad_date = error_of(await call(server, "review_report", {"since": "last week"}))
    assert bad_date["error"] == "RequestError" and "since 'last week'" in bad_date["message"]
    listed = (await call(server, "review_queue", {"state": "approved"})).structured_content
    assert [item["id"] for item in listed["items"]] == [new["id"]]
    assert (listed["total"], listed["next_before"]) == (1, None)
    # a queue longer than a page is paged (total, next_before), never cut without a word
    from tests.registry_support import attempt, record

    with Registry.open(place / "brandkit.db") as registry:
        extra = [registry.record(record(place, f"old-{i}.png", [attempt(1)]), run_id="r").id for i in range(3)]
    seen: list[int] = []
    page: dict[str, Any] = {"next_before": None}
    for _ in range(10):
        args: dict[str, Any] = {"state": "pending", "limit": 2}
        if page["next_before"] is not None:
            args["before"] = page["next_before"]
        page = (await call(server, "review_queue", args)).structured_content
        seen += [item["id"] for item in page["items"]]
        if page["next_before"] is None:
            break
    assert seen == sorted(seen, reverse=True) and set(extra) <= set(seen) and len(seen) == len(set(seen))
    assert page["total"] == len(seen) >= 3


# --- the openai provider (loopback server, fake key) ----------------------------------------------------------


async def test_openai_generate_is_held_to_its_budget_and_never_shows_the_key(
    openai_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.support.openai_plugin import FAKE_API_KEY

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    Registry.open(tmp_path / "brandkit.db").close()
    paid = build_server(
        ServerConfig(
            brands=discover_brands([NORTHWIND], None),
            provider="openai",
            out=tmp_path / "out",
            db=tmp_path / "brandkit.db",
        ),
        checks=[TechnicalCheck()],
    )
    worst = (await call(paid, "compile", {"brand": "northwind", "request": REQUEST})).structured_content[
        "worst_case_usd"
    ]
    short = error_of(await call(paid, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": worst / 2}))
    renders = ("/images/generations", "/images/edits")  # a logo sent as a reference image goes to /edits
    assert short["error"] == "BudgetExceededError", short
    assert short["amounts"]["needed_usd"] > short["amounts"]["budget_usd"] == pytest.approx(worst / 2, abs=1e-6)
    assert sum(openai_server.count(p) for p in renders) == 0  # refused before anything was sent
    made = await call(paid, "generate", {"brand": "northwind", "request": REQUEST, "budget_usd": worst * 4})
    assert not made.is_error, made.content
    data = made.structured_content
    assert data["provider"] == "openai" and 0 < data["cost_usd"] <= worst * 4
    assert sum(openai_server.count(p) for p in renders) == data["attempts"]
    regenerate = error_of(
        await call(
            paid, "review_decide", {"asset_id": data["registry_id"], "decision": "request_changes", "note": "warmer"}
        )
    )
    assert regenerate["field"] == "decision" and "--provider local" in regenerate["message"]
    everything = json.dumps([made.model_dump(mode="json"), short, regenerate])
    assert FAKE_API_KEY not in everything and FAKE_API_KEY[:12] not in everything
