"""Shared fixtures. No test may reach the network: a guard refuses every non-loopback connection."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import brandkit
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
