"""The import cycles issue 14 named are gone by moving code, not hidden: no ignore entry in the contracts that
held them, and no chain of imports — ``TYPE_CHECKING`` imports counted — where a lower layer reached a higher one."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("brandkit", exclude_type_checking_imports=False)


def test_the_contracts_that_held_the_cycles_have_no_ignore_entries() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    for name in ("foundation", "sdk-below-apps", "acyclic"):
        assert not contracts[name].get("ignore_imports"), name


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("brandkit.kit", "brandkit.variants"),  # BrandKit.variants finds the runner by entry point
        ("brandkit.errors", "brandkit.models"),  # BrandViolationError is generic in its report and attempt types
        ("brandkit.spec.loader", "brandkit.spec.importers"),  # format detection lives in spec/formats.py
        ("brandkit.credentials", "brandkit.asset"),  # the signing step is the asset stage's asset_signing.py
        ("brandkit.compile", "brandkit.flows"),
    ],
)
def test_no_chain_from_a_lower_module_to_a_higher_one(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    assert chains == set(), f"{importer} reaches {imported}: {sorted(chains)}"


def test_the_moved_modules_keep_their_old_import_paths() -> None:
    from brandkit.flows.attempt import attempt_flow as flow
    from brandkit.flows.effects import run_sync as driver
    from brandkit.pipeline import Compute, KitContext, Moderate, Render, attempt_flow, run_async, run_sync
    from brandkit.spec.formats import detect_path as moved
    from brandkit.spec.formats import foreign_format_error as moved_error
    from brandkit.spec.importers.detect import detect_path, foreign_format_error

    assert (detect_path, foreign_format_error) == (moved, moved_error)
    assert attempt_flow is flow and run_sync is driver
    assert all(callable(x) for x in (Compute, KitContext, Moderate, Render, run_async))
