"""Helpers for the registry tests: synthetic records with known attempts (no rendering needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from brandkit.registry import record as rec


def attempt(number: int, failing: tuple[str, ...] = (), spend: float = 0.0) -> rec.AttemptRecord:
    """An attempt whose checks ``failing`` block (the others passed)."""
    names = ("palette", "text", "logo", "contrast")
    checks = [
        {
            "name": n,
            "status": "failed" if n in failing else "passed",
            "score": None,
            "hint": None,
            "blocking": n in failing,
        }
        for n in names
    ]
    return rec.AttemptRecord(number, not failing, checks, spend, f"hash{number}", [], [], 0.1)


def record(
    folder: Path,
    name: str,
    attempts: list[rec.AttemptRecord],
    *,
    kind: str = "generate",
    spec: str = "Northwind",
    fmt: str = "square",
    locale: str | None = None,
) -> rec.AssetRecord:
    """A record of a real file ``folder/name`` (written here) with ``attempts``; passed = the last attempt's."""
    path = folder / name
    path.write_bytes(name.encode("utf-8") * 10)
    last = attempts[-1]
    failing = [{"name": c["name"], "reason": "off"} for c in last.checks if c["blocking"]]
    return rec.AssetRecord(
        kind=kind,
        content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        key=name,
        path=str(path),
        sidecar_path=str(path) + ".json",
        spec_name=spec,
        spec_fingerprint=hashlib.sha256(spec.encode()).hexdigest(),
        passed=last.passed,
        spend_usd=sum(a.spend_usd for a in attempts),
        checks={c["name"]: c["status"] for c in last.checks},
        failing=failing,
        request={"brief": "b", "format": fmt, **({"locale": locale} if locale else {})},
        format=fmt,
        locale=locale,
        attempts=attempts,
    )
