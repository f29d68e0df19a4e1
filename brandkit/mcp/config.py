"""What ``brandkit mcp`` serves and how: the brands (spec folders), the provider, the output folder, the allowed
roots, the registry, the spending cap, and the HTTP settings (loopback only, bearer token).

Everything is checked when the configuration is built — before the server answers anything — and a bad setting
raises a typed :mod:`brandkit.errors` error naming it. No I/O at import; no state outside the objects.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from brandkit.errors import ConfigurationError, RequestError, SpecError
from brandkit.paths import is_inside
from brandkit.spec.loader import SPEC_FILENAMES

__all__ = [
    "DEFAULT_MAX_BUDGET_USD",
    "TOKEN_ENV",
    "HttpSettings",
    "ServerConfig",
    "check_loopback",
    "discover_brands",
]

DEFAULT_MAX_BUDGET_USD = 1.0
"""The server-wide cap on one spending call's ``budget_usd`` unless ``--max-budget`` says otherwise."""

TOKEN_ENV = "BRANDKIT_MCP_TOKEN"
"""The bearer token of the HTTP transport (else one is generated and printed once on stderr)."""

MIN_TOKEN_CHARS = 16


def _is_spec_folder(folder: Path) -> bool:
    return any((folder / name).is_file() for name in SPEC_FILENAMES)


def discover_brands(specs: Sequence[Path], specs_root: Path | None) -> dict[str, Path]:
    """brand key → spec folder: each ``--spec`` folder, and every sub-folder of ``--specs-root`` holding a spec.

    The key is the folder's name (``-2``, ``-3``… when two folders share one). Raises
    :class:`~brandkit.errors.SpecError` naming a ``--spec`` that is not a spec folder, or a root that is not a
    folder; a root without any spec folder is an error too (the server would serve nothing).
    """
    found: dict[str, Path] = {}

    def add(folder: Path) -> None:
        real = folder.resolve()
        if real in found.values():
            return
        key, k = real.name, 1
        while key in found:
            k += 1
            key = f"{real.name}-{k}"
        found[key] = real

    for spec in specs:
        if not spec.is_dir() or not _is_spec_folder(spec):
            raise SpecError(f"--spec {spec}: not a brand spec folder (expected one of {', '.join(SPEC_FILENAMES)})")
        add(spec)
    if specs_root is not None:
        if not specs_root.is_dir():
            raise SpecError(f"--specs-root {specs_root}: not a folder")
        subfolders = sorted(p for p in specs_root.iterdir() if p.is_dir() and _is_spec_folder(p))
        if not subfolders:
            raise SpecError(f"--specs-root {specs_root}: no sub-folder holds a brand spec")
        for folder in subfolders:
            add(folder)
    if not found:
        raise SpecError("no brand to serve: give --spec DIR (repeatable) or --specs-root DIR")
    return found


def check_loopback(host: str) -> str:
    """``host`` when it is a loopback address (``127.0.0.1``, ``::1``, ``localhost``); else
    :class:`~brandkit.errors.ConfigurationError` naming it: the server spends money and reads files, it is never
    exposed beyond this machine."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigurationError(
            f"--host {host!r}: the MCP server listens on loopback only (127.0.0.1, ::1 or localhost)", setting="host"
        )
    return host


@dataclass(frozen=True)
class HttpSettings:
    """The streamable HTTP transport: loopback ``host``, ``port`` and the bearer ``token`` every request carries."""

    host: str
    port: int
    token: str = field(repr=False)
    generated: bool = False

    @classmethod
    def build(cls, host: str, port: int, token: str | None = None) -> HttpSettings:
        """Checked settings: a loopback host, a port in 1–65535, the token given, else ``$BRANDKIT_MCP_TOKEN``,
        else a new random one (``generated``)."""
        chosen = check_loopback(host)
        if not 0 < port < 65536:
            raise ConfigurationError(f"--port {port}: use a port from 1 to 65535", setting="port")
        given = token if token is not None else os.environ.get(TOKEN_ENV)
        if given is not None and len(given.strip()) < MIN_TOKEN_CHARS:
            raise ConfigurationError(
                f"{TOKEN_ENV}: a token of at least {MIN_TOKEN_CHARS} characters is needed", setting=TOKEN_ENV
            )
        if given is None:
            return cls(chosen, port, secrets.token_urlsafe(32), generated=True)
        return cls(chosen, port, given.strip())

    def __repr__(self) -> str:
        return f"HttpSettings(host={self.host!r}, port={self.port}, token=[REDACTED])"


@dataclass(frozen=True)
class ServerConfig:
    """Everything the MCP server is started with (see ``brandkit mcp --help``).

    ``brands``: key → spec folder; ``provider``: ``local`` (offline, default) or ``openai`` (needs
    ``OPENAI_API_KEY`` when the server starts); ``out``: where generated and edited assets are saved;
    ``roots``: folders ``validate`` / ``edit`` may read images from (``out`` is always one); ``db``: the asset
    registry (enables ``review_queue`` / ``review_decide``); ``max_budget_usd``: the most one spending call may
    be given.
    """

    brands: dict[str, Path]
    provider: str = "local"
    out: Path = Path("out")
    roots: tuple[Path, ...] = ()
    db: Path | None = None
    max_budget_usd: float = DEFAULT_MAX_BUDGET_USD

    def __post_init__(self) -> None:
        # absolute once, so the paths the tools return can be given back to them from any working folder
        object.__setattr__(self, "out", self.out.absolute())
        object.__setattr__(self, "roots", tuple(root.absolute() for root in self.roots))
        if self.provider not in ("local", "openai"):
            raise ConfigurationError(f"--provider {self.provider!r}: use local or openai", setting="provider")
        if self.provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
            raise ConfigurationError(
                "--provider openai needs OPENAI_API_KEY in the environment; to run offline use --provider local",
                setting="OPENAI_API_KEY",
            )
        if not self.max_budget_usd > 0:
            raise ConfigurationError(f"--max-budget {self.max_budget_usd}: must be above 0", setting="max_budget")
        if self.db is not None and not self.db.is_file():
            raise ConfigurationError(
                f"--db {self.db}: no registry there (generate or validate creates one)", setting="db"
            )
        if self.out.exists() and not self.out.is_dir():
            raise ConfigurationError(f"--out {self.out}: is a file, not a folder", setting="out")

    def allowed_roots(self) -> list[Path]:
        """The folders images may be read from: the output folder first, then every ``--root``."""
        return [self.out, *self.roots]

    def confined(self, text: str, field_name: str) -> Path:
        """The real path of the regular file ``text`` inside an allowed root; else a
        :class:`~brandkit.errors.RequestError` naming ``field_name`` (``..``, symlinks leading out, folders,
        devices are all refused)."""
        self.out.mkdir(parents=True, exist_ok=True)
        if not text or "\x00" in text:
            raise RequestError(f"{field_name}: empty, or holds a NUL character", field=field_name, value=text)
        given = Path(text).expanduser()
        candidate = given if given.is_absolute() else self.out / given  # relative: to the output folder
        try:  # .. and every symlink (the last one included) are followed before the check
            real = candidate.resolve(strict=True)
        except FileNotFoundError:
            raise RequestError(f"{field_name}: {text!r} does not exist", field=field_name, value=text) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise RequestError(f"{field_name}: cannot resolve {text!r}: {exc}", field=field_name, value=text) from None
        roots = [root.resolve() for root in self.allowed_roots()]
        if not any(is_inside(real, root) for root in roots):
            shown = ", ".join(str(root) for root in roots)
            raise RequestError(
                f"{field_name}: {text!r} is outside the server's allowed roots ({shown})", field=field_name, value=text
            )
        if not real.is_file():
            raise RequestError(f"{field_name}: {text!r} is not a regular file", field=field_name, value=text)
        return real
