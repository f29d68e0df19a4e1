"""Paths in and out: specs that point outside their folder, output targets that cannot be written.

Rules (docs/reliability.md, "Paths"):

* **Spec assets** are paths relative to the *spec folder* — the folder of the spec file as given (for a folder,
  the folder itself). Absolute paths, drive letters, ``..`` and backslash tricks are refused; symlinks are
  followed and allowed only when the real target is a regular file inside the spec folder's real path
  (a symlinked sub-folder inside the folder is fine, one that leads out is not; devices, FIFOs and loops are
  refused).
* **A spec file that is itself a symlink** into another folder is read, but its assets are resolved in the
  folder of the *link*, not of the link's target: a linked spec cannot reach files beside its target.
* **Outputs**: ``Asset.save(path)`` writes only ``path`` and ``path.json`` (each through a temp file in the same
  folder, fsync, rename). A folder that is a file, a target that is a folder, an unwritable folder, an
  impossible name → :class:`OutputError` naming the path; nothing else is created anywhere, no temp file is
  left, and an existing finished file is never destroyed by a failed save.

The suite runs as root in CI, where ``chmod 0o500`` does not stop writes: :func:`unwritable_folder` detects
that and uses ``/proc/self`` (a folder no one can create files in) instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import brandkit
from brandkit.asset import Asset
from brandkit.errors import OutputError, SpecError
from brandkit.resources import KitResources

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
LOGO = "logos/northwind-primary.png"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: relative path → kind and content hash (files), link target (symlinks)."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        elif path.is_file():
            out[rel] = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "other"
    return out


def brand_copy(folder: Path) -> Path:
    target = folder / "northwind"
    shutil.copytree(NORTHWIND, target)
    return target


def set_logo(spec_dir: Path, value: str) -> Path:
    text = (spec_dir / "brand.yaml").read_text(encoding="utf-8")
    text = text.replace(f"file: {LOGO}", f"file: {json.dumps(value)}", 1)
    (spec_dir / "brand.yaml").write_text(text, encoding="utf-8")
    return spec_dir


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder where creating a file fails: chmod 0o500 when that works, else (root) ``/proc/self``."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    probe = folder / "probe"
    try:
        probe.write_bytes(b"x")
    except PermissionError:
        return folder
    probe.unlink()  # running as root: permissions do not stop us
    folder.chmod(0o700)
    return Path("/proc/self")


@pytest.fixture(scope="module")
def asset(kit_resources: KitResources) -> Asset:
    spec = brandkit.load_spec(NORTHWIND)
    req = brandkit.AssetRequest(brief="A cup", headline="Slow mornings", cta="Order ahead", seed=1)
    return brandkit.BrandKit(spec, resources=kit_resources, provider="local").generate(req)


@pytest.fixture(scope="module")
def other_asset(asset: Asset) -> Asset:
    """The same asset with different pixels (a second, newer version of the file)."""
    image = Image.open(io.BytesIO(asset.data)).convert("RGB")
    image.putpixel((0, 0), (1, 2, 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return asset.model_copy(update={"data": buffer.getvalue()})


# --------------------------------------------------------------------------------------------
# Spec assets that lead out of the spec folder
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("/etc/passwd", "must be relative to the spec folder"),
        (str(NORTHWIND / LOGO), "must be relative to the spec folder"),
        ("C:/logos/x.png", "must be relative to the spec folder"),
        ("../northwind/" + LOGO, "may not contain '..'"),
        ("logos/../../outside.png", "may not contain '..'"),
        ("logos\\..\\..\\outside.png", "may not contain '..'"),
        ("", "must be relative"),
    ],
)
def test_asset_paths_outside_the_folder_are_refused(tmp_path: Path, value: str, message: str) -> None:
    spec_dir = set_logo(brand_copy(tmp_path), value)
    with pytest.raises(SpecError, match="logos\\[0\\].file") as info:
        brandkit.load_spec(spec_dir)
    assert message in str(info.value) and str(spec_dir / "brand.yaml") in str(info.value)


def test_symlink_to_a_file_outside_is_refused(tmp_path: Path) -> None:
    spec_dir = brand_copy(tmp_path)
    outside = tmp_path / "outside.png"
    shutil.copy(NORTHWIND / LOGO, outside)
    (spec_dir / "logos" / "evil.png").symlink_to(outside)
    set_logo(spec_dir, "logos/evil.png")
    with pytest.raises(SpecError, match=r"leads outside the spec folder \(to .*outside.png\)"):
        brandkit.load_spec(spec_dir)


def test_symlinked_folder_leading_out_is_refused_and_one_inside_is_allowed(tmp_path: Path) -> None:
    spec_dir = brand_copy(tmp_path)
    shared = tmp_path / "shared-logos"
    shutil.copytree(NORTHWIND / "logos", shared)
    (spec_dir / "linked").symlink_to(shared, target_is_directory=True)
    set_logo(spec_dir, "linked/northwind-primary.png")
    with pytest.raises(SpecError, match="leads outside the spec folder"):
        brandkit.load_spec(spec_dir)
    (spec_dir / "linked").unlink()
    (spec_dir / "linked").symlink_to(spec_dir / "logos", target_is_directory=True)  # inside: allowed
    spec = brandkit.load_spec(spec_dir)
    assert spec.logos[0].file == "linked/northwind-primary.png"


@pytest.mark.parametrize("kind", ["loop", "device", "fifo", "folder", "dangling"])
def test_links_to_non_files_are_refused(tmp_path: Path, kind: str) -> None:
    spec_dir = brand_copy(tmp_path)
    target = spec_dir / "logos" / "odd.png"
    if kind == "loop":
        target.symlink_to(target)
    elif kind == "device":
        target.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target.symlink_to(spec_dir / "logos" / "missing.png")
    set_logo(spec_dir, "logos/odd.png")
    with pytest.raises(SpecError, match=r"logos\[0\].file") as info:
        brandkit.load_spec(spec_dir)
    assert "odd.png" in str(info.value)


def test_a_symlinked_spec_folder_loads(tmp_path: Path) -> None:
    spec_dir = brand_copy(tmp_path)
    link = tmp_path / "alias"
    link.symlink_to(spec_dir, target_is_directory=True)
    spec = brandkit.load_spec(link)
    assert spec.root == spec_dir.resolve() and spec.fingerprint == brandkit.load_spec(NORTHWIND).fingerprint


def test_a_spec_file_that_is_a_symlink_resolves_assets_beside_the_link(tmp_path: Path) -> None:
    real_dir = brand_copy(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "brand.yaml").symlink_to(real_dir / "brand.yaml")
    with pytest.raises(SpecError, match=r"does not exist in .*elsewhere"):
        brandkit.load_spec(elsewhere)  # the target's logos are not reachable through the link
    shutil.copytree(real_dir / "logos", elsewhere / "logos")
    shutil.copytree(real_dir / "fonts", elsewhere / "fonts")
    shutil.copytree(real_dir / "photos", elsewhere / "photos")
    spec = brandkit.load_spec(elsewhere / "brand.yaml")
    assert spec.root == elsewhere.resolve()
    assert spec.asset_path(LOGO).parent.parent == elsewhere.resolve()


def test_loading_writes_nothing(tmp_path: Path) -> None:
    spec_dir = brand_copy(tmp_path)
    before = snapshot(tmp_path)
    brandkit.load_spec(spec_dir)
    set_logo(spec_dir, "/etc/passwd")
    before = snapshot(tmp_path)
    with pytest.raises(SpecError):
        brandkit.load_spec(spec_dir)
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------------
# Outputs that cannot be written
# --------------------------------------------------------------------------------------------


def test_output_folder_that_is_a_file(tmp_path: Path, asset: Asset) -> None:
    (tmp_path / "out").write_text("I am a file")
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="output folder is a file") as info:
        asset.save(tmp_path / "out" / "hero.png")
    assert info.value.path == str(tmp_path / "out")
    with pytest.raises(OutputError, match="is a file|Not a directory"):
        asset.save(tmp_path / "out" / "deeper" / "hero.png")  # a folder under a file
    assert snapshot(tmp_path) == before


def test_target_that_is_a_folder(tmp_path: Path, asset: Asset) -> None:
    (tmp_path / "hero.png").mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="is a folder") as info:
        asset.save(tmp_path / "hero.png")
    assert info.value.path == str(tmp_path / "hero.png")
    assert snapshot(tmp_path) == before


def test_unwritable_folder(tmp_path: Path, asset: Asset) -> None:
    folder = unwritable_folder(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="cannot write") as info:
        asset.save(folder / "hero.png")
    assert str(folder / "hero.png") in str(info.value) and info.value.path == str(folder / "hero.png")
    assert snapshot(tmp_path) == before


def test_wrong_extension(tmp_path: Path, asset: Asset) -> None:
    with pytest.raises(OutputError, match=r"extension '\.jpg' does not match the image format 'png'"):
        asset.save(tmp_path / "hero.jpg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "saved"), [("hero", "hero.png"), ("photo.v2", "photo.v2.png"), ("a.b.PNG", "a.b.PNG")]
)
def test_a_name_without_an_image_extension_gets_the_formats(
    tmp_path: Path, asset: Asset, name: str, saved: str
) -> None:
    assert asset.save(tmp_path / name) == tmp_path / saved
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([saved, saved + ".json"])


@pytest.mark.parametrize(
    "name",
    [
        "héro café.png",
        unicodedata.normalize("NFD", "héro café") + ".png",
        "日本語のバナー.png",
        "emoji 👩‍👩‍👧 ✓.png",
        "rtl \u202eevil\u202c.png",
        "new\nline.png",
        " leading and trailing .png",
        "-starts-with-dash.png",
    ],
)
def test_odd_unicode_names_are_written_exactly(tmp_path: Path, asset: Asset, name: str) -> None:
    out = tmp_path / "out"
    path = asset.save(out / name)
    assert path == out / name
    assert sorted(p.name for p in out.iterdir()) == sorted([name, name + ".json"])
    assert (out / name).read_bytes() == asset.data
    assert json.loads((out / (name + ".json")).read_text(encoding="utf-8"))["image"]["bytes"] == len(asset.data)


def test_name_too_long_is_an_output_error(tmp_path: Path, asset: Asset) -> None:
    before = snapshot(tmp_path)
    with pytest.raises(OutputError) as info:
        asset.save(tmp_path / ("é" * 200 + ".png"))  # 404 bytes: over the 255-byte name limit
    assert info.value.path is not None and "é" in info.value.path
    assert snapshot(tmp_path) == before


def test_nul_in_a_name_is_an_output_error(tmp_path: Path, asset: Asset) -> None:
    """BUG (brandkit/asset.py::atomic_write): a name holding NUL makes ``tempfile.mkstemp``/``os.stat`` raise
    ValueError('embedded null byte'); atomic_write catches OSError only, so ValueError escapes Asset.save.
    Fix: catch ValueError with OSError (or refuse NUL in names up front) and raise OutputError naming the path."""
    with pytest.raises(OutputError):
        asset.save(tmp_path / "bad\x00name.png")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# A failed save never destroys a finished file
# --------------------------------------------------------------------------------------------


@pytest.fixture
def finished(tmp_path: Path, asset: Asset) -> Iterator[tuple[Path, dict[str, str]]]:
    out = tmp_path / "out"
    path = asset.save(out / "hero.png")
    yield path, snapshot(tmp_path)


@pytest.mark.parametrize("failing", ["os.fsync", "os.replace", "write"])
def test_failure_mid_write_keeps_the_old_file(
    monkeypatch: pytest.MonkeyPatch,
    finished: tuple[Path, dict[str, str]],
    other_asset: Asset,
    tmp_path: Path,
    failing: str,
) -> None:
    path, before = finished
    if failing == "write":
        real_fdopen = os.fdopen

        class DiskFull(io.RawIOBase):
            def __init__(self, fd: int) -> None:
                self._inner = real_fdopen(fd, "wb")

            def write(self, data: object) -> int:
                raise OSError(28, "No space left on device")

            def fileno(self) -> int:
                return self._inner.fileno()

            def close(self) -> None:
                self._inner.close()
                super().close()

        monkeypatch.setattr(os, "fdopen", lambda fd, *args, **kwargs: DiskFull(fd))
    else:

        def boom(*args: object, **kwargs: object) -> None:
            raise OSError(5, f"simulated {failing} failure")

        monkeypatch.setattr(failing, boom)
    with pytest.raises(OutputError, match="cannot write") as info:
        other_asset.save(path, overwrite=True)  # the replace path (a save never replaces unless asked)
    assert info.value.path == str(path)
    monkeypatch.undo()
    assert snapshot(tmp_path) == before, "the old image or sidecar changed, or a temp file was left"
    assert path.read_bytes() != other_asset.data


def test_failed_sidecar_write_keeps_the_old_image_and_sidecar(
    monkeypatch: pytest.MonkeyPatch, finished: tuple[Path, dict[str, str]], other_asset: Asset, tmp_path: Path
) -> None:
    """BUG (brandkit/asset.py::Asset.save): the image is renamed into place before the sidecar is written. When
    the sidecar write then fails (here: its rename; the same holds for a full disk or an I/O error), save raises
    OutputError but the finished image has already been replaced: the old image is gone and the pair on disk
    is inconsistent (new image, old sidecar). Fix: write and fsync both temp files first, then rename them;
    if the second rename fails, put the first back (keep the old image as a hard link or a ``.bak`` rename
    until both renames succeeded)."""
    path, before = finished
    real_replace = os.replace

    def replace(src: str, dst: str | os.PathLike[str]) -> None:
        if str(dst).endswith(".json"):
            raise OSError(5, "simulated sidecar failure")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError):
        other_asset.save(path, overwrite=True)  # the replace path (a save never replaces unless asked)
    monkeypatch.undo()
    after = snapshot(tmp_path)
    assert not [name for name in after if name.endswith(".tmp")], "a temp file was left"
    assert after == before, "a failed save replaced the finished image"


def test_successful_replace_writes_only_the_pair(
    finished: tuple[Path, dict[str, str]], other_asset: Asset, tmp_path: Path
) -> None:
    path, before = finished
    other_asset.save(path, overwrite=True)
    after = snapshot(tmp_path)
    assert set(after) == set(before)  # no new entry anywhere: no temp files, nothing beside the pair
    assert after["out/hero.png"] != before["out/hero.png"] and path.read_bytes() == other_asset.data
    assert json.loads(path.with_suffix(".png.json").read_text())["image"]["bytes"] == len(other_asset.data)


# --------------------------------------------------------------------------------------------
# The CLI's --out
# --------------------------------------------------------------------------------------------


def test_cli_out_that_is_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from brandkit.cli import app

    target = tmp_path / "out"
    target.write_text("a file")
    before = snapshot(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--spec",
            str(NORTHWIND),
            "--brief",
            "a cup",
            "--provider",
            "local",
            "--out",
            str(target),
            "--json",
        ],
    )
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False and "output folder is a file" in data["error"] and str(target) in data["error"]
    assert snapshot(tmp_path) == before
