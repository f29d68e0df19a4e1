"""Issue 14's structure: the CLI package, the version module, kit-owned caches (KitResources), the contact sheet
template and the import contracts."""

from __future__ import annotations

import asyncio
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import brandkit
from brandkit.checks.base import CheckResources
from brandkit.kit import AsyncBrandKit, BrandKit
from brandkit.layout import load_font
from brandkit.memo import MemoStore, active_store, memo_scope, memoized
from brandkit.models import AssetRequest
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from brandkit.variants.report import contact_sheet_html

ROOT = Path(__file__).resolve().parents[1]


def test_version_module_is_the_installed_version() -> None:
    from brandkit._version import __version__

    assert brandkit.__version__ == __version__ == importlib.metadata.version("brandkit")


def test_python_dash_m_brandkit_cli_runs_the_same_app() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "brandkit.cli", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"brandkit {brandkit.__version__}"


def test_cli_package_registers_every_command_group_once() -> None:
    from brandkit.cli import app, register_commands, spec_app

    register_commands()  # idempotent: already done at import
    commands = [c.name for c in app.registered_commands]
    groups = sorted(g.name or "" for g in app.registered_groups)
    assert sorted(commands) == ["chat", "compile", "edit", "generate", "mcp", "report", "validate", "variants"]
    assert groups == ["audit", "cache", "provenance", "review", "spec"]
    assert sorted(c.name or "" for c in spec_app.registered_commands) == [
        "calibrate",
        "check",
        "export",
        "import",
        "schema",
    ]


def test_memoized_caches_only_in_the_active_store() -> None:
    calls: list[int] = []

    @memoized("test.square", 2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert active_store() is None
    assert square(3) == square(3) == 9 and calls == [3, 3]  # no store: computed each time, nothing kept
    store = MemoStore()
    with store.active():
        assert square(3) == square(3) == 9 and calls == [3, 3, 3]
        square(4)
        square(5)  # LRU bound 2: 3 is dropped
        assert store.size("test.square") == 2
        square(3)
    assert calls == [3, 3, 3, 4, 5, 3] and active_store() is None
    with memo_scope() as scoped:
        assert scoped is not store and active_store() is scoped
        with memo_scope() as inner:
            assert inner is scoped  # an open scope is reused


def test_font_cache_belongs_to_the_kit_resources(northwind: BrandSpec) -> None:
    shared = KitResources()
    kit_a = BrandKit(northwind, provider="local", resources=shared, signer=None)
    kit_b = BrandKit(northwind, provider="local", resources=shared, signer=None)
    own = BrandKit(northwind, provider="local", signer=None)
    assert kit_a.resources is kit_b.resources is shared and own.resources is not shared
    request = AssetRequest(brief="a coffee cup on a table", headline="Slow mornings", format="square")
    kit_a.compile(request)
    filled = {name: shared.memo.size(name) for name in ("screening.matches", "screening.matcher")}
    assert filled["screening.matches"] > 0 and filled["screening.matcher"] == 1
    kit_b.compile(request)  # same brief, same copy: answered from the shared tables
    assert shared.memo.size("screening.matcher") == 1
    assert own.resources.memo.size("screening.matches") == 0  # a kit with its own resources shares nothing
    font_file = sorted((ROOT / "brand_specs" / "northwind").rglob("*.ttf"))[0]
    with shared.active():
        assert load_font(font_file, 20) is load_font(font_file, 20)  # cached in the active store
    assert load_font(font_file, 20) is not load_font(font_file, 20)  # outside a kit call: no module-level cache


def test_kits_sharing_resources_keep_their_own_settings() -> None:
    shared = CheckResources()
    engine = object()
    shared.put("ocr", engine)
    layer_a, layer_b = KitResources(checks=shared).for_kit(), KitResources(checks=shared).for_kit()
    layer_a.put("trust", "anchors of A")
    layer_b.put("trust", "anchors of B")
    assert layer_a.get("ocr", object) is layer_b.get("ocr", object) is engine
    assert layer_a.get("trust", str) == "anchors of A" and layer_b.get("trust", str) == "anchors of B"


def test_async_kit_activates_its_store_in_worker_threads(northwind: BrandSpec) -> None:
    resources = KitResources()
    kit = AsyncBrandKit(northwind, provider="local", resources=resources, signer=None)
    request = AssetRequest(brief="a coffee cup on a table", headline="Slow mornings", format="square")
    asset = asyncio.run(kit.generate(request))
    assert asset.report is not None
    assert resources.memo.size("layout.font") > 0  # compose ran in a thread and used the kit's tables
    assert active_store() is None


def _manifest(name: str) -> dict[str, object]:
    item = {
        "key": "k1",
        "spec": "s",
        "status": "failed",
        "operation": "generate",
        "axes": {"spec": "s", "headline": name},
        "files": {"image": "a.png", "thumb": "thumbs/a.jpg"},
        "copy": {"headline": name, "locale": "en"},
        "checks": {"text": "failed"},
        "failures": [{"name": "text", "hint": name}],
        "palette": None,
        "attempts": 1,
        "cost_usd": 0.01,
        "reason": name,
    }
    return {
        "plan": {
            "name": name,
            "description": name,
            "group_by": "headline",
            "hash": "0123456789abcdef",
            "specs": {"s": {"name": name}},
        },
        "summary": {
            "succeeded": 0,
            "total": 1,
            "pass_rate": 0.0,
            "attempts_per_accepted": None,
            "spend_usd": 0.01,
            "wall_total_s": 1.0,
            "failed": 1,
            "by_kind": {"checks": 1},
            "not_made": 0,
            "stopped": name,
            "attempts": 1,
            "sessions": 1,
        },
        "variants": [item],
        "generated_at": "2026-12-04T00:00:00Z",
        "provider": name,
    }


@pytest.mark.parametrize("hostile", ['<script>alert("x")</script>', "</style><img src=x onerror=alert(1)>"])
def test_contact_sheet_template_escapes_every_value(hostile: str) -> None:
    page = contact_sheet_html(_manifest(hostile))
    assert "<script" not in page and "<img src=x" not in page
    assert page.count("&lt;") >= 9  # title, h1, description, banner, spec, group, chip, copy, hint, reason, footer
    assert page.startswith("<!doctype html>\n<html") and page.endswith("</html>\n")
    assert '<p class="reason">The last session stopped early: &lt;' in page
