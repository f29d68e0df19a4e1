"""``brandkit spec import`` downloads the Google Fonts families a brand file names when this machine lacks them.

A quarter of the real posit brand.yml files we imported name a ``source: google`` family (Inter, Montserrat,
Poppins…); before, each import stopped at "font family not found … brandkit does not download fonts". The API is
played by a loopback HTTP server started here, answering as Google Fonts' CSS API answers a client that is not a
browser (one ``@font-face`` per weight, ``src`` the whole TrueType file; 400 for a weight or family it lacks); the
font files it serves are real (Lato, from the aurora fixture). The machine's own fonts are hidden from the lookup so
that the test does not depend on what is installed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from typer.testing import CliRunner

from brandkit.cli import app
from brandkit.spec.importers import fonts as font_lookup
from brandkit.spec.importers.font_download import CSS_URL_ENV, FontDownloadError
from brandkit.spec.importers.fonts import FontNotFoundError
from brandkit.spec.importers.importer import import_brand
from brandkit.spec.loader import load_spec

FIXTURE_FONTS = Path(__file__).parent / "data" / "import" / "brand-yml" / "aurora" / "fonts"
OFFERED = {"Lato": {400: "Lato-Regular.ttf", 900: "Lato-Black.ttf"}}


class _FontsApi(BaseHTTPRequestHandler):
    """Google Fonts' CSS API as a non-browser client sees it, and its font files."""

    requests: ClassVar[list[tuple[str, str]]] = []  # replaced per server

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.requests.append((self.path, self.headers.get("User-Agent", "")))
        if url.path.startswith("/s/"):
            name = url.path.rsplit("/", 1)[1]
            if name == "webonly.woff2":
                self._send(200, b"wOF2" + b"\0" * 64, "font/woff2")
            else:
                self._send(200, (FIXTURE_FONTS / name).read_bytes(), "font/ttf")
            return
        [family] = parse_qs(url.query)["family"]
        name, _, axes = family.partition(":")
        if name == "Webonly":
            css = (
                "@font-face { font-family: 'Webonly'; font-style: normal; font-weight: 400; "
                f"src: url(http://{self.headers['Host']}/s/webonly.woff2) format('woff2'); }}"
            )
            self._send(200, css.encode(), "text/css")
            return
        if name == "Impostor":  # answers with another family's file
            offered = {400: "Lato-Regular.ttf"}
        elif name in OFFERED:
            offered = OFFERED[name]
        else:
            self._send(400, b"Font family not found", "text/plain")
            return
        weight = int(axes.removeprefix("wght@")) if axes else 400
        if weight not in offered:
            self._send(400, f"Font family {name}: weight {weight} not found".encode(), "text/plain")
            return
        host = self.headers["Host"]
        css = (
            f"@font-face {{\n  font-family: '{name}';\n  font-style: normal;\n  font-weight: {weight};\n"
            f"  src: url(http://{host}/s/{name.lower()}/v24/{offered[weight]}) format('truetype');\n}}\n"
        )
        self._send(200, css.encode(), "text/css; charset=utf-8")


@pytest.fixture
def fonts_api() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    requests: list[tuple[str, str]] = []
    handler = type("Handler", (_FontsApi,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/css2", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_system_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Lato (a CI image): the system lookup finds nothing."""
    monkeypatch.setattr(font_lookup, "system_font_files", lambda family: ([], "the system fonts (fc-list)"))


def _brand_yml(folder: Path, headings: str = "{family: Lato, weight: 900}", source: str = "google") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "_brand.yml"
    path.write_text(
        "meta: {name: Harbour}\ncolor: {primary: '#0B3D91', background: '#FFFFFF', foreground: '#1A1A1A'}\n"
        f"typography:\n  fonts:\n    - {{family: Lato, source: {source}}}\n  headings: {headings}\n  base: Lato\n",
        encoding="utf-8",
    )
    return path


def _entries(result: Any, kind: str) -> dict[str, str]:
    return {e.target: e.note for e in result.report.entries if e.kind == kind}


def test_a_google_fonts_family_is_downloaded_into_the_spec_folder(
    tmp_path: Path, fonts_api: tuple[str, list[tuple[str, str]]]
) -> None:
    url, requests = fonts_api
    [result] = import_brand(_brand_yml(tmp_path / "src"), tmp_path / "out", fonts_url=url)
    spec = yaml.safe_load((result.out / "brand.yaml").read_text("utf-8"))
    headline, body = spec["typography"]["headline"], spec["typography"]["body"]
    assert headline == {"file": "fonts/Lato-900.ttf", "family": "Lato", "weight": 900}
    assert body["file"] == "fonts/Lato-400.ttf"
    assert (result.out / "fonts" / "Lato-900.ttf").read_bytes() == (FIXTURE_FONTS / "Lato-Black.ttf").read_bytes()
    mapped = _entries(result, "mapped")
    assert "downloaded from Google Fonts" in mapped["typography.headline = fonts/Lato-900.ttf"]
    decide = _entries(result, "decide")
    assert "SIL Open Font License" in decide["typography.headline.license"]
    assert "fonts.google.com/specimen/Lato/license" in decide["typography.headline.license"]
    assert requests[0][0] == "/css2?family=Lato%3Awght%40900"
    assert all(agent.startswith("brandkit/") for _, agent in requests)  # not a browser: whole TrueType files
    assert load_spec(result.out).typography.headline.weight == 900  # the folder is a spec that loads on its own


def test_a_weight_the_family_lacks_takes_the_nearest_offered_and_says_so(
    tmp_path: Path, fonts_api: tuple[str, list[tuple[str, str]]]
) -> None:
    url, requests = fonts_api
    [result] = import_brand(
        _brand_yml(tmp_path / "src", "{family: Lato, weight: 700}"), tmp_path / "out", fonts_url=url
    )
    spec = yaml.safe_load((result.out / "brand.yaml").read_text("utf-8"))
    assert spec["typography"]["headline"]["file"] == "fonts/Lato-900.ttf"  # 700, 800, 600 refused; 900 before 500
    note = _entries(result, "approximated")["typography.headline = fonts/Lato-900.ttf"]
    assert "asked 700" in note and "downloaded from Google Fonts" in note
    asked = [path for path, _ in requests if "css2" in path]
    assert asked[:2] == ["/css2?family=Lato%3Awght%40700", "/css2?family=Lato"]  # the family exists: weights next


def test_downloads_off_or_an_unknown_family_or_no_network_is_a_clear_error(
    tmp_path: Path, fonts_api: tuple[str, list[tuple[str, str]]]
) -> None:
    url, requests = fonts_api
    source = _brand_yml(tmp_path / "src")
    with pytest.raises(FontNotFoundError, match="comes from Google Fonts; downloads are off: --no-download-fonts"):
        import_brand(source, tmp_path / "out", download_fonts="never", fonts_url=url)
    assert requests == []  # nothing asked
    unknown = _brand_yml(tmp_path / "unknown", "{family: Nowhere Sans, weight: 700}")
    unknown.write_text(unknown.read_text("utf-8").replace("family: Lato, source", "family: Nowhere Sans, source"))
    with pytest.raises(FontDownloadError, match="'Nowhere Sans'.*Google Fonts has no such family"):
        import_brand(unknown, tmp_path / "out", fonts_url=url)
    with pytest.raises(FontDownloadError, match=r"127\.0\.0\.1:9/css2.*ConnectError"):
        import_brand(source, tmp_path / "out", fonts_url="http://127.0.0.1:9/css2")
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_web_fonts_only_or_another_family_served_are_refused(
    tmp_path: Path, fonts_api: tuple[str, list[tuple[str, str]]]
) -> None:
    url, _ = fonts_api
    for family, error in (
        ("Webonly", r"only web-font formats were offered \(woff2\)"),
        ("Impostor", r"the file served is family 'Lato'"),
    ):
        path = _brand_yml(tmp_path / family, f"{{family: {family}, weight: 400}}")
        path.write_text(path.read_text("utf-8").replace("family: Lato, source", f"family: {family}, source"))
        path.write_text(path.read_text("utf-8").replace("base: Lato", f"base: {family}"))
        with pytest.raises(FontDownloadError, match=error):
            import_brand(path, tmp_path / f"out-{family}", fonts_url=url)


def test_a_family_without_a_declared_source_is_downloaded_only_when_asked(
    tmp_path: Path, fonts_api: tuple[str, list[tuple[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = fonts_api
    source = _brand_yml(tmp_path / "src", source="system")
    with pytest.raises(FontNotFoundError, match=r"if it is a Google Fonts family, --download-fonts fetches it"):
        import_brand(source, tmp_path / "out", fonts_url=url)
    bunny = _brand_yml(tmp_path / "bunny", source="bunny")
    with pytest.raises(FontNotFoundError, match="Bunny Fonts.*--download-fonts fetches it from there"):
        import_brand(bunny, tmp_path / "out", fonts_url=url)
    # the CLI: --download-fonts, the API's address from the environment
    monkeypatch.setenv(CSS_URL_ENV, url)
    outcome = CliRunner().invoke(
        app, ["spec", "import", str(source), "--out", str(tmp_path / "out"), "--download-fonts"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "downloaded from Google Fonts" in outcome.output
    assert (tmp_path / "out" / "fonts" / "Lato-900.ttf").is_file()
    refused = CliRunner().invoke(
        app, ["spec", "import", str(_brand_yml(tmp_path / "g")), "--out", str(tmp_path / "o2"), "--no-download-fonts"]
    )
    assert refused.exit_code == 2 and "downloads are off" in refused.output


def test_a_system_ui_stack_downloads_the_first_family_google_fonts_has(
    tmp_path: Path, fonts_api: tuple[str, list[tuple[str, str]]]
) -> None:
    url, requests = fonts_api
    source = _brand_yml(tmp_path / "src", "{family: \"-apple-system, 'Nowhere Sans', Lato, sans-serif\", weight: 900}")
    [result] = import_brand(source, tmp_path / "out", fonts_url=url, download_fonts="always")
    spec = yaml.safe_load((result.out / "brand.yaml").read_text("utf-8"))
    assert spec["typography"]["headline"] == {"file": "fonts/Lato-900.ttf", "family": "Lato", "weight": 900}
    assert any("Nowhere+Sans" in path for path, _ in requests)  # asked first, unknown: the next family of the stack
    note = _entries(result, "approximated")["typography.headline = fonts/Lato-900.ttf"]
    assert "standing in for 'Nowhere Sans'" in note
    with pytest.raises(FontDownloadError, match=r"each family of its stack was refused \(Nowhere Sans: .*; Lato: "):
        import_brand(source, tmp_path / "out2", fonts_url="http://127.0.0.1:9/css2", download_fonts="always")
