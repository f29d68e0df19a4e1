"""Issue 13, item 7 (newcomer papercuts): no silent overwrites, validate of many files, permissions that follow
the umask, "did you mean", request errors inside the BrandkitError tree, and --version."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.asset import embed_provenance
from brandkit.atomic import atomic_write, atomic_write_all
from brandkit.checks.technical import TechnicalCheck
from brandkit.cli import EXIT_CHECKS, EXIT_OK, EXIT_USAGE, app
from brandkit.imageio import encode_image
from brandkit.jsonl import Journal

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
COPY = dict(headline="Slow mornings, bright roasts", subhead="Roasted this week in small batches.", cta="Order ahead")


@pytest.fixture
def light_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kits made in this process run only the technical check (the pipeline and files stay real)."""
    monkeypatch.setattr("brandkit.kit.default_checks", lambda: [TechnicalCheck()])


@pytest.fixture(scope="module")
def asset() -> brandkit.Asset:
    kit = brandkit.BrandKit(brandkit.load_spec(NORTHWIND), provider="local", checks=[TechnicalCheck()])
    return kit.generate(brandkit.AssetRequest(brief="A ceramic cup on an oak table", seed=3, **COPY))  # type: ignore[arg-type]


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


# --- --version -----------------------------------------------------------------------------------------------


def test_version_flag_prints_the_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(app, [flag])
        assert result.exit_code == EXIT_OK
        assert result.stdout.strip() == f"brandkit {brandkit.__version__}"


# --- never overwrite -----------------------------------------------------------------------------------------


def test_asset_save_refuses_to_replace_unless_asked(asset: brandkit.Asset, tmp_path: Path) -> None:
    target = tmp_path / "hero.png"
    target.write_bytes(b"paid for yesterday")
    with pytest.raises(brandkit.OutputExistsError, match="hero.png: already exists") as caught:
        asset.save(target)
    assert caught.value.path == str(target) and isinstance(caught.value, brandkit.OutputError)
    assert target.read_bytes() == b"paid for yesterday"
    assert not Path(str(target) + ".json").exists()  # all or nothing: the sidecar was not written either
    sidecar_only = tmp_path / "other.png"
    Path(str(sidecar_only) + ".json").write_text("{}")
    with pytest.raises(brandkit.OutputExistsError, match=r"other.png.json: already exists"):
        asset.save(sidecar_only)
    assert not sidecar_only.exists()  # the image linked first was removed again
    assert asset.save(target, overwrite=True) == target and target.read_bytes() == asset.data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_racing_writers_of_one_name_cannot_both_win(tmp_path: Path) -> None:
    target = tmp_path / "race.bin"
    outcomes: dict[int, str] = {}
    start = threading.Barrier(8)

    def write(i: int) -> None:
        start.wait()
        try:
            atomic_write(target, f"writer {i}".encode(), overwrite=False)
            outcomes[i] = "won"
        except brandkit.OutputExistsError:
            outcomes[i] = "refused"

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, outcome in outcomes.items() if outcome == "won"]
    assert len(outcomes) == 8 and len(winners) == 1
    assert target.read_bytes() == f"writer {winners[0]}".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.bin"]


def test_two_generate_runs_into_one_folder_keep_both(light_cli: None, tmp_path: Path) -> None:
    args = ["generate", "-s", str(NORTHWIND), "-b", "A cup", "--headline", COPY["headline"], "-p", "local"]
    args += ["--seed", "1", "-o", str(tmp_path), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == EXIT_OK, first.stdout
    first_path = Path(json.loads(first.stdout)["assets"][0]["path"])
    before = first_path.read_bytes()
    mtime = first_path.stat().st_mtime_ns
    second = CliRunner().invoke(app, args)
    assert second.exit_code == EXIT_OK, second.stdout
    second_path = Path(json.loads(second.stdout)["assets"][0]["path"])
    assert second_path != first_path and second_path.name == first_path.stem + "-2.png"
    assert first_path.stat().st_mtime_ns == mtime and first_path.read_bytes() == before
    images = sorted(p.name for p in tmp_path.glob("*.png"))
    assert images == sorted([first_path.name, second_path.name])
    third = CliRunner().invoke(app, [*args, "--overwrite"])
    assert third.exit_code == EXIT_OK and json.loads(third.stdout)["assets"][0]["path"] == str(first_path)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == images


def test_out_may_name_the_image_file_and_its_extension_chooses_the_format(light_cli: None, tmp_path: Path) -> None:
    base = ["generate", "-s", str(NORTHWIND), "-b", "A cup", "--headline", COPY["headline"], "-p", "local"]
    one = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "banner.jpg"), "--json"])
    assert one.exit_code == EXIT_OK, one.stdout
    assert json.loads(one.stdout)["assets"][0]["path"] == str(tmp_path / "banner.jpg")  # not banner.jpg/…
    assert (tmp_path / "banner.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG, as the name says
    assert json.loads((tmp_path / "banner.jpg.json").read_text())["request"]["output_format"] == "jpeg"
    two = CliRunner().invoke(app, [*base, "--n", "2", "-o", str(tmp_path / "sub" / "ad.webp"), "--json"])
    assert two.exit_code == EXIT_OK, two.stdout
    paths = [Path(a["path"]) for a in json.loads(two.stdout)["assets"]]
    assert [p.name for p in paths] == ["ad-1.webp", "ad-2.webp"] and all(p.read_bytes()[8:12] == b"WEBP" for p in paths)
    folder = tmp_path / "kept.png"  # an existing folder with an image-like name stays a folder
    folder.mkdir()
    three = CliRunner().invoke(app, [*base, "-o", str(folder), "--json"])
    assert three.exit_code == EXIT_OK and Path(json.loads(three.stdout)["assets"][0]["path"]).parent == folder


def test_edit_out_names_a_file_of_the_edits_format_and_keeps_a_dotted_stem(
    asset: brandkit.Asset, tmp_path: Path
) -> None:
    source = asset.save(tmp_path / "photo.v2.png")  # a dot in the stem: was read as the extension '.v2-edited'
    base = ["edit", "-s", str(NORTHWIND), str(source), "-i", "Change the headline", "--headline", "Bright roasts"]
    base += ["-p", "local", "--json"]
    jpeg = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "edited.jpg")])  # the name chooses the format
    assert jpeg.exit_code in (EXIT_OK, EXIT_CHECKS), jpeg.stdout
    assert (tmp_path / "edited.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    made = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "out")])
    assert made.exit_code in (EXIT_OK, EXIT_CHECKS), made.stdout
    assert json.loads(made.stdout)["assets"][0]["path"] == str(tmp_path / "out" / "photo.v2-edited.png")
    assert (tmp_path / "out" / "photo.v2-edited.png.json").is_file()


def test_command_help_paragraphs_are_wrapped_by_the_terminal_not_at_the_source_line_breaks() -> None:
    """typer's rich help kept a docstring's line breaks after its first paragraph: source lines of ~115 columns
    wrapped at 80 came out ragged (a line of three words, then a full one)."""
    wide = CliRunner().invoke(app, ["validate", "--help"], env={"COLUMNS": "240", "TERM": "dumb"})
    assert wide.exit_code == EXIT_OK
    # one source line ended after "recorded in each"; at 240 columns the sentence is one line now
    assert "else the copy recorded in each image's embedded provenance. A malformed or foreign record" in wide.stdout
    narrow = CliRunner().invoke(app, ["validate", "--help"], env={"COLUMNS": "80", "TERM": "dumb"})
    lines = [line.strip() for line in narrow.stdout.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("The expected copy is"))
    paragraph = lines[start : lines.index("", start)]
    assert all(len(line) > 60 for line in paragraph[:-1]), paragraph  # every line but the last filled
    # flags take no value: no "<bool>" type beside them (typer labels every parameter with its type)
    for command in (["validate"], ["review", "approve"], ["review"], ["spec", "calibrate"]):
        shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120", "TERM": "dumb"}).stdout
        flags = [line for line in shown.splitlines() if "--help" in line or "--json" in line]
        assert flags and not [line for line in flags if "<bool>" in line], (command, flags)
    assert "<path>" in wide.stdout  # the options that take a value keep their type


# --- permissions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_outputs_and_journal_follow_the_umask(umask: None, mask: int, asset: brandkit.Asset, tmp_path: Path) -> None:
    os.umask(mask)
    image = asset.save(tmp_path / "a.png")
    atomic_write_all([(tmp_path / "b.txt", b"x")])
    atomic_write(tmp_path / "b.txt", b"y")  # a replacement gets the same mode as a new file
    with Journal(tmp_path / "journal.jsonl") as journal:
        journal.append("start")
    atomic_write(tmp_path / "key.pem", b"secret", mode=0o600)  # a secret is never readable by others
    expected = 0o666 & ~mask
    for path in (image, Path(str(image) + ".json"), tmp_path / "b.txt", tmp_path / "journal.jsonl"):
        assert stat.S_IMODE(path.stat().st_mode) == expected, (path.name, oct(path.stat().st_mode))
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600 & ~mask


# --- did you mean / the error tree ---------------------------------------------------------------------------


def test_request_typos_raise_a_brandkit_error_with_did_you_mean() -> None:
    with pytest.raises(brandkit.BrandkitError) as caught:
        brandkit.AssetRequest(brief="A cup", headlin="Hello")  # type: ignore[call-arg]
    error = caught.value
    assert isinstance(error, brandkit.RequestValidationError) and isinstance(error, ValueError)
    assert isinstance(error, brandkit.RequestError) and error.field == "headlin"
    assert "did you mean 'headline'?" in str(error)
    with pytest.raises(brandkit.RequestError, match=r"brief: String should have at least 1 character"):
        brandkit.AssetRequest(brief="")
    with pytest.raises(brandkit.RequestError, match=r"did you mean 'instruction'\?"):
        brandkit.EditRequest(instructions="x")  # type: ignore[call-arg]


def test_a_misspelt_choice_gets_did_you_mean_too(tmp_path: Path) -> None:
    with pytest.raises(brandkit.RequestError, match=r"background: .*\(did you mean 'dark'\?\) \(got 'drak'\)"):
        brandkit.AssetRequest(brief="A cup", background="drak")  # type: ignore[arg-type]
    with pytest.raises(brandkit.RequestError) as far:
        brandkit.AssetRequest(brief="A cup", background="purple")  # type: ignore[arg-type]
    assert "did you mean" not in str(far.value)  # nothing close: no guess
    import shutil

    spec_dir = tmp_path / "brand"
    shutil.copytree(NORTHWIND, spec_dir)
    yaml_file = spec_dir / "brand.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace("role: secondary", "role: secondry", 1))
    with pytest.raises(brandkit.SpecError, match=r"role: .*\(did you mean 'secondary'\?\)"):
        brandkit.load_spec(spec_dir)
    kit = brandkit.BrandKit(brandkit.load_spec(NORTHWIND), provider="local")
    with pytest.raises(brandkit.RequestError, match=r"format 'sqaure' .*\(did you mean 'square'\?\)") as caught:
        kit.compile({"brief": "A cup", "format": "sqaure"})
    assert caught.value.field == "format"


def test_sdk_entry_points_take_dicts_and_wrap_their_errors(asset: brandkit.Asset) -> None:
    kit = brandkit.BrandKit(brandkit.load_spec(NORTHWIND), provider="local", checks=[TechnicalCheck()])
    prompt = kit.compile({"brief": "A cup", "headline": "Hello"})
    assert prompt.copy_block.headline == "Hello"
    with pytest.raises(brandkit.RequestError, match=r"ctaa.*did you mean 'cta'\?"):
        kit.generate({"brief": "A cup", "ctaa": "Order"})
    with pytest.raises(brandkit.RequestError, match=r"expected an AssetRequest or a mapping"):
        kit.generate("A cup")  # type: ignore[arg-type]
    with pytest.raises(brandkit.RequestError, match=r"did you mean 'headline'\?"):
        kit.edit(asset.data, "Translate", headlin="Hallo")
    with pytest.raises(brandkit.RequestError, match=r"ctaa.*did you mean 'cta'\?"):
        kit.edit(asset.data, request={"instruction": "Translate", "ctaa": "Bestellen"})
    with pytest.raises(brandkit.RequestError, match=r"did you mean 'subhead'\?"):
        kit.validate(asset.data, request={"brief": "A cup", "subhed": "x"})
    assert kit.validate(asset.data, request={"brief": "A cup", **COPY}).passed


def test_spec_typos_get_did_you_mean(tmp_path: Path) -> None:
    text = (NORTHWIND / "brand.yaml").read_text("utf-8")
    assert "headline_case:" in text and "min_width_px:" in text
    bad = text.replace("headline_case:", "headline_cas:", 1).replace("min_width_px:", "min_widht_px:", 1)
    folder = tmp_path / "spec"
    folder.mkdir()
    for entry in NORTHWIND.iterdir():
        if entry.name != "brand.yaml":
            (folder / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (folder / "brand.yaml").write_text(bad, "utf-8")
    with pytest.raises(brandkit.SpecError) as caught:
        brandkit.load_spec(folder)
    message = str(caught.value)
    assert "typography.headline_cas" in message and "did you mean 'headline_case'?" in message
    assert "logos[0].min_widht_px" in message and "did you mean 'min_width_px'?" in message


# --- validate of many files ----------------------------------------------------------------------------------


def _files(asset: brandkit.Asset, folder: Path) -> tuple[Path, Path, Path, Path]:
    good = asset.save(folder / "good.png")
    bad = folder / "bad.png"
    bad.write_bytes(b"garbag")
    missing = folder / "missing.png"
    small = folder / "small.png"  # readable, but its provenance says 1024x1024: the technical check fails
    small.write_bytes(embed_provenance(encode_image(asset.image.resize((512, 512)), "png"), "png", asset.provenance()))
    return good, bad, missing, small


def test_validate_many_keeps_every_result_and_names_each_file(
    light_cli: None, asset: brandkit.Asset, tmp_path: Path
) -> None:
    good, bad, missing, small = _files(asset, tmp_path)
    args = ["validate", "-s", str(NORTHWIND), "--jobs", "1"]
    result = CliRunner().invoke(app, [*args, "--json", str(good), str(bad), str(missing), str(small)])
    assert result.exit_code == EXIT_USAGE, result.stdout
    document = json.loads(result.stdout)
    assert [entry["path"] for entry in document["images"]] == [str(good), str(bad), str(missing), str(small)]
    assert document["images"][0]["passed"] is True and document["images"][3]["passed"] is False
    assert document["images"][1]["error"] == f"ImageInputError: {bad}: not a recognised image format"
    assert "bytes>" not in result.stdout
    assert document["images"][2]["error"] == f"ImageInputError: {missing}: no such file"
    assert (document["files"], document["failed"], document["unreadable"]) == (4, 1, 2)
    assert "[4/4]" in result.stderr and f"unreadable: {bad}" in result.stderr
    # no unreadable file, one failing: exit 1; one record per line with --jsonl
    streamed = CliRunner().invoke(app, [*args, "--jsonl", str(small), str(good)])
    assert streamed.exit_code == EXIT_CHECKS
    lines = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert [line.get("path") for line in lines[:2]] == [str(small), str(good)]
    assert lines[2]["summary"] is True and lines[2]["exit_code"] == EXIT_CHECKS
    text = CliRunner().invoke(app, [*args, str(bad), str(good)])
    assert text.exit_code == EXIT_USAGE and f"✗ unreadable {bad}" in text.stdout and f"✓ passed {good}" in text.stdout
    assert "Traceback" not in text.stdout + text.stderr


def test_sdk_validate_names_the_file_it_could_not_read(tmp_path: Path) -> None:
    kit = brandkit.BrandKit(brandkit.load_spec(NORTHWIND), provider="local", checks=[TechnicalCheck()])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbag")
    with pytest.raises(brandkit.ImageInputError, match=r"bad.png: not a recognised image format") as caught:
        kit.validate(bad)
    assert caught.value.source == str(bad)


@pytest.mark.slow
def test_validate_many_in_worker_processes(asset: brandkit.Asset, tmp_path: Path) -> None:
    """--jobs 2: each worker process loads the spec and its own kit (full checks); results come back per file."""
    good, bad, missing, _ = _files(asset, tmp_path)
    paths = [str(bad), str(good), str(missing)]
    result = CliRunner().invoke(app, ["validate", "-s", str(NORTHWIND), "--jobs", "2", "--json", *paths])
    assert result.exit_code == EXIT_USAGE, result.stdout
    document = json.loads(result.stdout)
    assert [entry["path"] for entry in document["images"]] == paths
    assert document["images"][0]["error"] == f"ImageInputError: {bad}: not a recognised image format"
    assert set(document["images"][1]["checks"]) >= {"palette", "text", "logo", "contrast", "technical"}
    assert document["images"][2]["error"] == f"ImageInputError: {missing}: no such file"
    assert result.stderr.count("/3]") == 3


def test_validate_workers_share_the_cores_between_their_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    """--jobs N: each worker's OCR and moderation engines run the cores shared out (one thread each when the
    workers fill the cores), not one thread per core each — the threads would outnumber the cores."""
    from brandkit import validate_many
    from brandkit.ocr import OCR_RESOURCE_KEY
    from brandkit.provider.local_moderation import NudeNetModerator
    from brandkit.resources import LOCAL_MODERATOR

    monkeypatch.setattr(validate_many, "default_jobs", lambda: 4)
    assert [validate_many.worker_threads(n) for n in (1, 2, 3, 4, 8)] == [4, 2, 1, 1, 1]
    resources = validate_many._worker_resources(1)
    ocr = resources.checks.get(OCR_RESOURCE_KEY, lambda: None)
    assert ocr.params["EngineConfig.onnxruntime.intra_op_num_threads"] == 1
    moderator = resources.local_moderator()
    assert isinstance(moderator, NudeNetModerator) and resources.checks.get(LOCAL_MODERATOR, lambda: None) is moderator
    moderator.load()
    assert moderator._loaded()._session.get_session_options().intra_op_num_threads == 1
    with pytest.raises(ValueError, match="threads"):
        brandkit.ocr.default_ocr_engine(threads=0)


def test_the_check_table_shows_whole_hints_and_a_warn_failure_in_yellow() -> None:
    """A failed check whose policy is ``warn`` (reported, never blocking: the credentials of an unsigned image) is
    not a red failure; every hint is shown whole (not its first 80 characters) and never read as markup."""
    from brandkit.cli.common import report_rows
    from brandkit.models import CheckResult, CheckStatus, ValidationReport

    long_hint = "keep to the brand palette [in the brand zones] " + "and more words " * 10
    report = ValidationReport(
        checks={
            "palette": CheckResult(name="palette", status=CheckStatus.failed, hint=long_hint, policy="regenerate"),
            "credentials": CheckResult(name="credentials", status=CheckStatus.failed, hint="sign it", policy="warn"),
        }
    )
    table = report_rows(report)
    statuses = list(table.columns[1]._cells)
    notes = list(table.columns[4]._cells)
    assert statuses == ["[red]failed[/]", "[yellow]failed[/]"]
    assert notes[0] == long_hint.replace("[in", "\\[in")  # whole, escaped


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (["generate", "-s", str(NORTHWIND), "-b", "A cup", "--n", "99"], "--n", "less than or equal to 10"),
        (["generate", "-b", "A cup"], "--spec", "Missing option"),
        (["validate", "--jsonl"], "images", "Missing argument"),
        (["generate", "-s", str(NORTHWIND), "-b", "A cup", "--bogus"], None, "No such option: --bogus"),
        (["nosuch"], None, "No such command 'nosuch'"),
    ],
)
def test_a_usage_error_under_json_is_one_json_document_on_stdout(
    args: list[str], field: str | None, words: str
) -> None:
    """click printed usage errors on stderr only: a script reading ``--json`` output got an empty stdout."""
    flag = "--jsonl" if "--jsonl" in args else "--json"
    result = CliRunner().invoke(app, args if flag in args else [*args, flag])
    assert result.exit_code == EXIT_USAGE
    error = json.loads(result.stdout)
    assert error["ok"] is False and error["exit_code"] == EXIT_USAGE and words in error["error"]
    assert error.get("field") == field
    assert words in result.stderr  # the person at the terminal still reads it
    plain = CliRunner().invoke(app, [a for a in args if a != "--jsonl"])  # without --json: click's own output
    assert plain.exit_code == EXIT_USAGE and plain.stdout.strip() == ""
