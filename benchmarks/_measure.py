"""What every benchmark reports beside a wall time: CPU time (this process and its waited-for children) and the
load average at the start and the end — so a figure taken on a busy machine can be read for what it is.

Usage::

    from benchmarks._measure import measure, Span

    with measure() as span:          # a Span: wall, CPU (self + children), load at start and end
        work()
    print(span.row())                # "wall 1.234 s · CPU 1.100 s (self 0.300 + children 0.800) · load 2.1→3.0"

    span.cpu_share()                 # CPU ÷ wall: near 1 per busy core when the machine gave the work its cores

* **wall** — ``time.perf_counter``.
* **CPU** — ``resource.getrusage`` user + system time of this process (every thread) plus that of its children
  that have been *waited for* (a worker pool's processes count once joined; a still-running child does not).
  CPU time is what the work cost; it barely moves with the machine's load, where wall time can double.
* **a child alone** — ``run_child(args, env, cwd)`` runs one process and returns its own CPU (``os.wait4``: user +
  system, with the children *it* waited for), wall time and peak RSS (``ChildRun``): before/after comparisons
  that run each tree in a fresh process (``bench_issue21``).
* **load** — ``os.getloadavg()`` (1, 5, 15 min) before and after. A 1-min load above the cores means other
  processes competed for them: read the CPU time as the figure, and the wall time as an upper bound.

Functions only; no state kept between measurements.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ChildRun",
    "Span",
    "code_from_pythonpath",
    "cores",
    "cpu_seconds",
    "load_average",
    "load_note",
    "measure",
    "run_child",
    "timed_median",
]


def code_from_pythonpath(root: Path) -> None:
    """Make ``import brandkit`` take the tree first on ``PYTHONPATH`` (another worktree's code, for a before/after
    pair on the same images), else ``root``: drops the venv's editable-install finder (it would answer for
    ``root``'s modules) and moves ``root`` after PYTHONPATH's trees (``python -m`` run from ``root`` puts it
    first). Call before importing brandkit; the benchmark's ``tree …`` line then names the tree measured."""
    sys.meta_path[:] = [f for f in sys.meta_path if not str(getattr(f, "__module__", "")).startswith("__editable__")]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != root]
    sys.path.append(str(root))


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages (zeros where the system has none)."""
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


def cpu_seconds() -> tuple[float, float]:
    """(this process's user+system seconds, its waited-for children's user+system seconds)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@dataclass
class Span:
    """One measured stretch of work (filled in when the ``measure`` block ends)."""

    wall_s: float = 0.0
    cpu_self_s: float = 0.0
    cpu_children_s: float = 0.0
    load_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cores: int = field(default_factory=cores)

    @property
    def cpu_s(self) -> float:
        """CPU seconds of this process and its waited-for children."""
        return self.cpu_self_s + self.cpu_children_s

    def cpu_share(self) -> float:
        """CPU ÷ wall (0 for an empty span): about the cores the work actually had."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    def loaded(self) -> bool:
        """True when the 1-min load at the start or the end was above the cores: wall times are inflated."""
        return max(self.load_start[0], self.load_end[0]) > self.cores

    def load_text(self) -> str:
        """``load 2.10→3.05 (1 min, 2 cores)``."""
        return f"load {self.load_start[0]:.2f}→{self.load_end[0]:.2f} (1 min, {self.cores} cores)"

    def row(self) -> str:
        """One line: wall, CPU (self + children) and the load at start and end."""
        return (
            f"wall {self.wall_s:.3f} s · CPU {self.cpu_s:.3f} s (self {self.cpu_self_s:.3f} + children "
            f"{self.cpu_children_s:.3f}) · {self.load_text()}"
        )

    def as_dict(self) -> dict[str, object]:
        """The span as JSON-ready numbers."""
        return {
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "cpu_self_s": round(self.cpu_self_s, 4),
            "cpu_children_s": round(self.cpu_children_s, 4),
            "load_start": [round(x, 2) for x in self.load_start],
            "load_end": [round(x, 2) for x in self.load_end],
            "cores": self.cores,
        }


def timed_median(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(wall, CPU) seconds, the medians of ``runs`` calls of ``fn`` after one warm-up call (CPU: this process's
    ``time.process_time``; when it is well under the wall time, other processes took the core)."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


@contextmanager
def measure() -> Iterator[Span]:
    """Measure the block: wall time, CPU time (self + waited-for children), load average before and after."""
    span = Span(load_start=load_average())
    own0, children0 = cpu_seconds()
    start = time.perf_counter()
    try:
        yield span
    finally:
        span.wall_s = time.perf_counter() - start
        own1, children1 = cpu_seconds()
        span.cpu_self_s, span.cpu_children_s = own1 - own0, children1 - children0
        span.load_end = load_average()


def load_note(start: tuple[float, float, float], end: tuple[float, float, float], n_cores: int | None = None) -> str:
    """The sentence a benchmark prints under its table about the machine's load during the run."""
    n = n_cores or cores()
    busy = max(start[0], end[0]) > n
    verdict = (
        "the machine was busy (load above the cores): wall times are inflated — read CPU time as the figure"
        if busy
        else "the machine was quiet enough (load at most the cores): wall times are representative"
    )
    return (
        f"load average (1/5/15 min) at start {start[0]:.2f} {start[1]:.2f} {start[2]:.2f}, at end "
        f"{end[0]:.2f} {end[1]:.2f} {end[2]:.2f} on {n} cores: {verdict}"
    )


@dataclass
class ChildRun:
    """One measured child process: its own CPU (user + system, with the children it waited for), wall time,
    peak RSS and what it printed."""

    cpu_s: float
    wall_s: float
    rss_mib: float
    returncode: int
    stdout: str
    stderr: str


def worktree(root: Path, rev: str, name: str) -> Path:
    """A read-only checkout of ``rev`` of the repository at ``root``, in ``<tmp>/<name>`` (``git worktree add
    --detach``; reused when present): the previous implementation a before/after benchmark runs."""
    path = Path(tempfile.gettempdir()) / name
    if not (path / "brandkit" / "__init__.py").is_file():
        command = ["git", "worktree", "add", "--detach", str(path), rev]
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    return path


def run_child(
    args: Sequence[str],
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    ok_codes: Sequence[int] = (0,),
) -> ChildRun:
    """Run ``args`` and measure that child alone (``os.wait4``: its rusage, not this process's).

    Raises ``RuntimeError`` with the end of its stderr when it exits with a code outside ``ok_codes``. Peak RSS:
    Linux keeps the parent's peak across ``exec``, so it means something only while the caller is small.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(args), stdout=out, stderr=err, env=dict(env), cwd=Path(cwd))
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if code not in ok_codes:
        raise RuntimeError(f"{' '.join(args[:4])} … exited with {code}: {stderr[-2000:]}")
    return ChildRun(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, code, stdout, stderr)
