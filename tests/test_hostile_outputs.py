"""Never pay for what cannot be kept (issue 20, items 1, 2 and 5): hostile output folders and full disks.

* Pre-flight: an unusable ``--out`` (under a file, under ``/proc``, a dangling link, a read-only filesystem,
  a sub-folder blocked by a file) or one without room is refused before the first request — the loopback
  server (or the local renderer) sees zero image requests.
* Stop buying: a real full disk in the middle of a run (a tmpfs filled by another writer) stops new paid
  calls; what was paid for is saved or spooled, none lost, and ``--resume`` saves the spooled results without
  paying again.
* Temp files: ``kill -9`` of a real writer subprocess leaves temp files of brandkit's naming; the next write
  and ``--resume`` remove them, never one of a live writer.

Full disks are real: a tmpfs mounted for the test (CI runs as root). A test that cannot mount fails with a
clear message; it never passes silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from brandkit.checks.technical import TechnicalCheck
from brandkit.errors import OutputFolderError
from brandkit.variants import arun_variants, read_journal, replay
from tests.support.openai_plugin import FAKE_API_KEY
from tests.support.openai_server import OpenAIServer
from tests.support.variants import openai_options

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
HEADLINES = [f"Fresh batch number {i}" for i in range(25)]


def write_plan(folder: Path, headlines: int, formats: list[str]) -> Path:
    data: dict[str, Any] = {
        "name": "hostile",
        "spec": str(NORTHWIND),
        "base": {
            "brief": "A ceramic cup of coffee on an oak table",
            "cta": "Order ahead",
            "text": "overlay",
            "logo": "overlay",
            "policies": {"palette": "warn"},
        },
        "axes": {"headline": HEADLINES[:headlines], "format": formats},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def generations(server: OpenAIServer) -> int:
    """Image requests the server answered (each one paid for)."""
    return sum(1 for r in server.records() if r.path.startswith("/v1/images/") and r.status == 200)


def image_requests(server: OpenAIServer) -> int:
    return sum(1 for r in server.records() if r.path.startswith("/v1/images/"))


def brandkit_temps(folder: Path) -> list[Path]:
    """Temp files of any brandkit naming, old (``.name.XXXX.tmp``) or new, anywhere under ``folder``."""
    return sorted(p for p in folder.rglob(".*.tmp") if p.is_file())


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a real tmpfs of the given size (``"2m"``) under ``tmp_path``; unmounted at teardown."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode != 0:
            pytest.fail(
                "this test needs a real full disk: `mount -t tmpfs` failed "
                f"({done.stderr.decode().strip() or done.returncode}); run the suite as root (as CI does)"
            )
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the filesystem of ``folder`` with a ballast file until it is full; returns the ballast."""
    ballast = folder / "ballast"
    with ballast.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * (1 << 16))
                handle.flush()
        except OSError:
            pass
    return ballast


# --------------------------------------------------------------------------------------------
# 1. Pre-flight: refused before the first request
# --------------------------------------------------------------------------------------------


async def test_a_run_larger_than_the_disk_is_refused_before_any_request(
    tmp_path: Path, tmpfs: Callable[[str], Path], openai_server: OpenAIServer
) -> None:
    """Before: a 100-variant run on a 2 MB filesystem paid for 98 images and saved 28."""
    disk = tmpfs("2m")
    plan = write_plan(tmp_path, 25, ["square", "landscape", "portrait", "banner"])
    with pytest.raises(OutputFolderError) as info:
        await arun_variants(plan, disk / "out", concurrency=4, **openai_options(openai_server))
    error = info.value
    assert error.problem == "no_space" and error.path == str(disk / "out")
    assert error.need_bytes is not None and error.free_bytes is not None and error.need_bytes > error.free_bytes
    assert "not enough free space" in str(error) and "nothing was spent" in str(error)
    assert image_requests(openai_server) == 0
    assert not (disk / "out" / "journal.jsonl").exists()


def _blocked_subfolder(tmp_path: Path, tmpfs: Callable[[str], Path]) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "northwind").write_text("a file where the spec's sub-folder goes")
    return out


def _under_a_file(tmp_path: Path, tmpfs: Callable[[str], Path]) -> Path:
    (tmp_path / "afile").write_text("x")
    return tmp_path / "afile" / "out"


def _under_proc(tmp_path: Path, tmpfs: Callable[[str], Path]) -> Path:
    return Path("/proc/self/brandkit-out")


def _dangling(tmp_path: Path, tmpfs: Callable[[str], Path]) -> Path:
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "missing-target")
    return link


def _read_only(tmp_path: Path, tmpfs: Callable[[str], Path]) -> Path:
    disk = tmpfs("8m")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    return disk / "out"


UNUSABLE: dict[str, tuple[Callable[[Path, Callable[[str], Path]], Path], str, str]] = {
    "subfolder-blocked-by-a-file": (_blocked_subfolder, "not_a_folder", "northwind: output folder is a file"),
    "under-a-file": (_under_a_file, "not_a_folder", "which is a file"),
    "under-proc": (_under_proc, "pseudo_filesystem", "pseudo filesystem"),
    "dangling-symlink": (_dangling, "dangling_link", "dangling link"),
    "read-only-filesystem": (_read_only, "read_only", "read-only filesystem"),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_variants_cli_refuses_an_unusable_out_before_the_first_request(
    case: str,
    tmp_path: Path,
    tmpfs: Callable[[str], Path],
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: under a file, /proc, a dangling link or a read-only filesystem → OSError traceback (exit 1);
    a blocked sub-folder → 100 paid, 0 saved, exit 1 although 2 is documented."""
    from brandkit.cli import app

    make, problem, words = UNUSABLE[case]
    out = make(tmp_path, tmpfs)
    plan = write_plan(tmp_path / "plan", 2, ["square", "landscape"])
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    result = CliRunner().invoke(app, ["variants", str(plan), "--out", str(out), "--provider", "openai", "--json"])
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == 2, result.stdout
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["exit_code"] == 2 and data["error"].startswith("OutputFolderError")
    assert words in data["error"] and str(out) in data["error"] and data["problem"] == problem
    assert image_requests(openai_server) == 0


@pytest.mark.parametrize("case", ["under-proc", "read-only-filesystem", "dangling-symlink"])
@pytest.mark.parametrize("command", ["generate", "edit"])
def test_generate_and_edit_refuse_an_unusable_out_before_rendering(
    command: str, case: str, tmp_path: Path, tmpfs: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from brandkit.cli import app
    from brandkit.provider.local import LocalRenderer

    renders: list[Any] = []
    real = LocalRenderer.render
    monkeypatch.setattr(LocalRenderer, "render", lambda self, call: renders.append(call) or real(self, call))
    make, problem, words = UNUSABLE[case]
    out = make(tmp_path, tmpfs)
    if command == "generate":
        args = ["generate", "--spec", str(NORTHWIND), "--brief", "a cup", "--provider", "local"]
    else:
        image = tmp_path / "master.png"
        from PIL import Image

        Image.new("RGB", (1024, 1024), (243, 233, 220)).save(image)
        args = ["edit", "--spec", str(NORTHWIND), str(image), "-i", "Change the headline", "--headline", "Hallo"]
        args += ["--provider", "local"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--json"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.stdout
    data = json.loads(result.stdout)
    assert data["error"].startswith("OutputFolderError") and words in data["error"] and data["problem"] == problem
    assert renders == []


def test_preflight_names_the_need_and_the_free_space(tmp_path: Path, tmpfs: Callable[[str], Path]) -> None:
    from brandkit.outputs import estimate_image_bytes, estimate_output_bytes, preflight

    disk = tmpfs("4m")
    assert estimate_image_bytes(1024, 1024, "png") == 1024 * 1024 * 3 + 64 * 1024
    assert estimate_image_bytes(1024, 1024, "png", transparent=True) == 1024 * 1024 * 4 + 64 * 1024
    assert estimate_image_bytes(1000, 1000, "jpeg") == 1_500_000 + 64 * 1024
    preflight(disk / "small", estimate_output_bytes([(256, 256, "png", False)]))  # fits: creates the folder
    assert (disk / "small").is_dir() and brandkit_temps(disk) == []  # the probe is gone
    with pytest.raises(OutputFolderError, match=r"needs about 4\.3 MB .* has 4\.[0-2] MB free") as info:
        preflight(disk / "big", estimate_output_bytes([(1024, 1024, "png", False)]))
    assert info.value.problem == "no_space"


# --------------------------------------------------------------------------------------------
# 2. Stop buying when writes fail; resume saves what was paid for without paying again
# --------------------------------------------------------------------------------------------


class FillDiskAfter:
    """A progress sink that fills the output's filesystem (another writer) once ``after`` variants are done."""

    def __init__(self, disk: Path, after: int, server: OpenAIServer) -> None:
        self.disk, self.after, self.server = disk, after, server
        self.ballast: Path | None = None
        self.requests_at_fill = 0

    def start(self, total: int, done: int, failed: int) -> None:
        pass

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        if done >= self.after and self.ballast is None:
            self.requests_at_fill = image_requests(self.server)
            self.ballast = fill(self.disk)

    def stop(self) -> None:
        pass


async def run_until_the_disk_fills(
    tmp_path: Path, tmpfs: Callable[[str], Path], server: OpenAIServer
) -> tuple[Path, Path, FillDiskAfter, Any]:
    """12 variants (latency 0.3 s, concurrency 2) into an 80 MB tmpfs that another writer fills once 3 are saved:
    the output folder, the plan, the filler and the run."""
    disk = tmpfs("80m")
    out = disk / "out"
    server.latency_s = 0.3
    plan = write_plan(tmp_path, 12, ["square"])
    filler = FillDiskAfter(disk, 3, server)
    run = await arun_variants(plan, out, concurrency=2, **openai_options(server, progress=filler))
    return out, plan, filler, run


async def test_a_disk_filling_mid_run_stops_paying_keeps_results_and_resume_saves_them_for_free(
    tmp_path: Path, tmpfs: Callable[[str], Path], openai_server: OpenAIServer
) -> None:
    """Before: 12 variants, the disk filled after 3: 10 paid, 4 saved, then an OutputError on manifest.json;
    the resume paid for 10 more."""
    out, plan, filler, run = await run_until_the_disk_fills(tmp_path, tmpfs, openai_server)
    paid = generations(openai_server)
    assert run.exit_code == 4 and run.stopped is not None and run.stopped.startswith("output:")
    assert run.output is not None and "No space left on device" in str(run.output["reason"])
    saved, kept, lost = run.output["saved"], run.output["kept"], run.output["lost"]
    assert run.output["message"] == f"output failed: {saved} saved, {kept} kept for resume, {lost} lost"
    assert lost == 0 and kept >= 1, run.output
    assert paid == saved + kept, "every image paid for is saved or kept"
    # a kept variant whose settling line could not be journaled either (the disk was full for the journal first:
    # each paid render adds a `paid` line) is in the spool and shows as not made until resume saves it
    unjournaled = [v for v in run.variants if v["name"] in run.output["kept_variants"] and v["status"] == "skipped"]
    assert paid < 12 and run.summary["not_made"] == 12 - paid + len(unjournaled)
    # no render was sent after the disk filled beyond those already requested by variants in progress
    assert image_requests(openai_server) <= filler.requests_at_fill + 2 * 2
    spooled = {}
    for item in run.variants:
        if item["kind"] == "output" or item in unjournaled:
            entry = out / "spool" / item["key"]
            images = [p for p in entry.iterdir() if p.suffix == ".png"]
            record = json.loads((entry / "record.json").read_text(encoding="utf-8"))
            image = images[0] if images else out / record["files"]["image"]  # saved, only its line was not
            spooled[item["key"]] = hashlib.sha256(image.read_bytes()).hexdigest()
    assert len(spooled) == kept

    assert filler.ballast is not None
    filler.ballast.unlink()  # space is freed
    openai_server.latency_s = 0.0
    again = await arun_variants(plan, out, resume=True, concurrency=2, **openai_options(openai_server))
    assert again.ok and again.exit_code == 0 and again.output is None
    assert generations(openai_server) == 12, "the kept results were saved without paying again"
    records, _ = read_journal(out / "journal.jsonl")
    state = replay(records)
    for key, digest in spooled.items():
        files = state.variants[key].files
        assert hashlib.sha256((out / files["image"]).read_bytes()).hexdigest() == digest
        assert json.loads((out / files["sidecar"]).read_text(encoding="utf-8"))["image"]["format"] == "png"
        assert (out / files["thumb"]).is_file()
        assert state.variants[key].last.get("from_spool") is True
    assert again.summary["spend_usd"] == pytest.approx(sum(v["cost_usd"] for v in again.variants))
    assert not (out / "spool").exists() and brandkit_temps(out) == []


async def test_results_that_cannot_be_kept_anywhere_are_reported_lost_with_their_cost(
    tmp_path: Path, tmpfs: Callable[[str], Path], openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filesystem that cannot preallocate gets no spool reserve: once the disk is full the spool cannot be
    written either, and the run names every variant it paid for and lost (and pays for nothing more)."""

    def cannot_preallocate(fd: int, offset: int, length: int) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "posix_fallocate", cannot_preallocate)
    *_, run = await run_until_the_disk_fills(tmp_path, tmpfs, openai_server)
    paid = generations(openai_server)
    assert run.exit_code == 4 and run.output is not None
    saved, kept, lost = run.output["saved"], run.output["kept"], run.output["lost"]
    assert lost >= 1 and paid == saved + kept + lost and paid < 12, run.output
    assert len(run.output["lost_variants"]) == lost and run.output["lost_usd"] > 0
    assert "cannot preallocate" in str(run.output["note"])  # said, not silent
    assert run.output["message"] == f"output failed: {saved} saved, {kept} kept for resume, {lost} lost"


def test_generate_keeps_a_paid_image_it_cannot_save_and_exits_4(
    tmp_path: Path, tmpfs: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the image was rendered, then the save failed: exit 2, the image lost."""
    import brandkit.kit
    from brandkit.cli import app
    from brandkit.provider.local import LocalRenderer

    disk = tmpfs("6m")
    real = LocalRenderer.render

    def render_then_fill(self: LocalRenderer, call: Any) -> Any:
        result = real(self, call)
        fill(disk)  # someone else fills the disk while the image is being made
        return result

    monkeypatch.setattr(LocalRenderer, "render", render_then_fill)
    monkeypatch.setattr(brandkit.kit, "default_checks", lambda: [TechnicalCheck()])
    args = ["generate", "--spec", str(NORTHWIND), "--brief", "a cup", "--provider", "local"]
    result = CliRunner().invoke(app, [*args, "--out", str(disk / "out"), "--json"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 4, result.stdout
    data = json.loads(result.stdout)
    assert data["error"].startswith("OutputFailedError: output failed: 0 saved, 1 kept in ")
    assert "No space left on device" in data["error"] and data["lost"] == 0 and data["kept"] == 1
    kept = Path(data["kept_at"])
    try:
        images = list(kept.glob("*.png"))
        assert len(images) == 1 and (kept / (images[0].name + ".json")).is_file()
        from brandkit.imageio import load_image

        assert load_image(images[0].read_bytes()).size == (1024, 1024)
    finally:
        shutil.rmtree(kept)
    assert list((disk / "out").glob("*.png")) == [] and brandkit_temps(disk) == []


# --------------------------------------------------------------------------------------------
# 3. Temp files left by kill -9 are removed by the next write and by --resume
# --------------------------------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from brandkit.atomic import atomic_write
data = b"x" * (32 << 20)
while True:
    atomic_write(Path(sys.argv[1]) / "hero.png", data)
"""


def _kill_writer_mid_write(folder: Path, script: Path) -> int:
    """Start a real writer, SIGKILL it while one of its temp files exists; returns its pid."""
    before = set(brandkit_temps(folder))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, str(script), str(folder)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not set(brandkit_temps(folder)) - before:
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    assert set(brandkit_temps(folder)) - before, "the writer was killed before it created a temp file"
    return writer.pid


def test_temp_files_left_by_repeated_kill_9_are_removed_by_the_next_write(tmp_path: Path) -> None:
    """Before: every kill left one ``.hero.png.XXXX.tmp`` (5 kills, 5 leftovers, forever)."""
    from brandkit.atomic import atomic_write

    folder = tmp_path / "out"
    folder.mkdir()
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    for _ in range(5):
        _kill_writer_mid_write(folder, script)
        assert len(brandkit_temps(folder)) <= 2  # each writer's first write swept its predecessors' leftovers
    atomic_write(folder / "other.png", b"next write")
    assert brandkit_temps(folder) == []


async def test_resume_sweeps_stale_temp_files_but_never_a_live_writers(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    from brandkit.atomic import make_temp

    plan = write_plan(tmp_path, 2, ["square"])
    out = tmp_path / "out"
    first = await arun_variants(plan, out, concurrency=2, **openai_options(openai_server, checks=[TechnicalCheck()]))
    assert first.ok
    sub = out / "northwind"
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    for _ in range(3):
        _kill_writer_mid_write(sub, script)
    stale = brandkit_temps(out)
    assert stale
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        fd, name = make_temp(sub, "busy.png")
        os.close(fd)
        live_name = Path(name).name.replace(f"-{os.getpid()}-", f"-{live.pid}-")  # a temp of the live process
        os.rename(name, sub / live_name)
        again = await arun_variants(plan, out, resume=True, **openai_options(openai_server, checks=[TechnicalCheck()]))
        assert again.ok and generations(openai_server) == 2
        assert brandkit_temps(out) == [sub / live_name], "stale temps removed; the live writer's kept"
    finally:
        live.kill()
        live.wait(10)


def test_the_sweep_rule_uses_age_for_other_hosts(tmp_path: Path) -> None:
    """A temp file of another host (a shared folder) is judged by its age only; one that is not of brandkit's
    naming is never touched; this host's live writer (this process) is never swept, whatever its age."""
    from brandkit.atomic import STALE_AGE_S, make_temp, sweep_stale_temps

    fd, mine = make_temp(tmp_path, "mine.png")
    os.close(fd)
    host = "000000" if "-000000-" not in mine else "111111"  # not this host's tag
    foreign = tmp_path / f".a.png.brandkit-{host}-1-zzzzzzzz.tmp"
    other = tmp_path / ".notes.tmp"  # not brandkit's naming
    for path in (foreign, other):
        path.write_bytes(b"x")
    assert sweep_stale_temps(tmp_path) == []  # young: its writer may still be at work
    later = time.time() + STALE_AGE_S + 60
    assert sweep_stale_temps(tmp_path, now=later) == [foreign]
    assert Path(mine).exists() and other.exists()
