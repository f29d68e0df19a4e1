"""Shared fixtures. No test may reach the network: a guard refuses every non-loopback connection."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import brandkit
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec

pytest_plugins = ["tests.support.openai_plugin", "tests.support.secret_scan"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BRANDS = ("northwind", "lumen-health")


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
    else:
        return isinstance(address, str)  # an AF_UNIX path
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse any connection that is not to the loopback interface, and keep real API settings out."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests may not reach the network (tried {address!r})")
        return real_connect(self, address)

    def guarded_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests may not reach the network (tried {address!r})")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        # a developer's own signer, registry or reviewer name must not change what unrelated tests see
        "BRANDKIT_C2PA_CERT",
        "BRANDKIT_C2PA_KEY",
        "BRANDKIT_C2PA_TRUST_ANCHORS",
        "BRANDKIT_DB",
        "BRANDKIT_REVIEWER",
    ):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture(scope="session")
def _warm_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warm-cache folder for the whole session (tables built once are loaded by later tests)."""
    return tmp_path_factory.mktemp("warm-cache")


@pytest.fixture(autouse=True)
def _warm_cache_env(_warm_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never write to the home folder's cache: ``BRANDKIT_CACHE_DIR`` is the session's tmp folder."""
    monkeypatch.setenv("BRANDKIT_CACHE_DIR", str(_warm_cache_dir))


@pytest.fixture(scope="session")
def kit_resources() -> KitResources:
    """One :class:`~brandkit.resources.KitResources` for the session's kits (``BrandKit(spec, resources=...)``):
    the OCR engine and the local moderation classifier load once per session, not once per kit. A test of the
    resources themselves, or one that needs its own engines (a substituted or failing engine, trust anchors set
    on the shared layer), builds its own."""
    from brandkit.ocr import OCR_RESOURCE_KEY
    from tests.checks_support import shared_ocr_engine

    resources = KitResources()
    resources.checks.put(OCR_RESOURCE_KEY, shared_ocr_engine())  # the ocr_engine fixture's: one engine in all
    return resources


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root."""
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    """``../shared`` beside the project root."""
    assert SHARED.is_dir(), f"{SHARED} is missing: the shared folder must sit beside the project root"
    return SHARED


@pytest.fixture(scope="session")
def northwind() -> BrandSpec:
    """The Northwind Coffee example brand."""
    return brandkit.load_spec(ROOT / "brand_specs" / "northwind")


@pytest.fixture(scope="session")
def lumen() -> BrandSpec:
    """The Lumen Health example brand."""
    return brandkit.load_spec(ROOT / "brand_specs" / "lumen-health")


@pytest.fixture(scope="session", params=BRANDS)
def brand(request: pytest.FixtureRequest) -> BrandSpec:
    """Each example brand in turn."""
    return brandkit.load_spec(ROOT / "brand_specs" / str(request.param))
