"""Fonts a brand file says come from Google Fonts, downloaded at import when this machine lacks them.

posit brand.yml says where each family comes from (``source: google``): a quarter of the brand files teams keep
name a Google Fonts family (Inter, Montserrat, Poppins…) that a server or CI machine does not have installed. Quarto
fetches them when it renders; ``brandkit spec import`` does the same, once, and writes the font file into the spec
folder, so generation never needs the network. What may be downloaded (:data:`FontDownload`):

* ``declared`` (the default): the families the brand file says come from Google Fonts;
* ``always``: also any other family found nowhere on this machine (a token file or a brand.json names families
  without saying where they come from — most are Google Fonts families);
* ``never``: nothing (an offline machine): the family must be in the brand's files, ``--fonts DIR`` or installed.

The Google Fonts CSS API (``css2?family=Inter:wght@700``) answers a client that is not a browser with one
``@font-face`` per style and weight whose ``src`` is the whole TrueType file (a browser gets WOFF2 subsets, which a
spec cannot use). A weight the family does not offer is answered 400; the nearest offered weight is taken and the
report says so. The file is checked to be a TrueType/OpenType font of the family asked for before it is used.
``BRANDKIT_GOOGLE_FONTS_URL`` points the import at a mirror of the API (or a test's loopback server).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from brandkit._version import __version__
from brandkit.errors import SpecError
from brandkit.spec.importers.draft import DraftFont
from brandkit.spec.importers.fonts import FontFace, read_face

if TYPE_CHECKING:
    import httpx2

FontDownload = Literal["declared", "always", "never"]
GOOGLE_FONTS_CSS = "https://fonts.googleapis.com/css2"
CSS_URL_ENV = "BRANDKIT_GOOGLE_FONTS_URL"
MAX_CSS_BYTES = 256 * 1024
MAX_FONT_BYTES = 32 * 1024 * 1024
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO")
_FACE = re.compile(r"@font-face\s*\{(.*?)\}", re.S)
_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)['\"]?\s*\)(?:\s*format\(\s*['\"]?([^'\")]+)['\"]?\s*\))?")


class FontDownloadError(SpecError):
    """A font the import was to download could not be: names the family, where it asked and why."""

    def __init__(self, family: str, source: str, url: str, reason: str) -> None:
        self.family = family
        self.url = url
        self.reason = reason
        super().__init__(
            f"{source}: font family {family!r} is not on this machine and could not be downloaded from Google Fonts "
            f"({url}): {reason}. Put its TTF/OTF files in a folder and pass --fonts DIR, or install it"
        )


@dataclass(frozen=True)
class FontFetcher:
    """What :func:`brandkit.spec.importers.importer.import_brand` may download, and from where."""

    mode: FontDownload = "declared"
    css_url: str = field(default_factory=lambda: os.environ.get(CSS_URL_ENV) or GOOGLE_FONTS_CSS)
    timeout_s: float = 30.0

    def wants(self, font: DraftFont) -> bool:
        """Whether a family found nowhere on this machine is downloaded."""
        return self.mode == "always" or (self.mode == "declared" and font.origin == "google")

    def hint(self, font: DraftFont) -> str:
        """What the not-found error adds: why nothing was downloaded, and the option that would."""
        if self.mode == "never" and font.origin == "google":
            return " (the brand file says it comes from Google Fonts; downloads are off: --no-download-fonts)"
        if font.origin == "bunny":
            return (
                " (the brand file says it comes from Bunny Fonts, which mirrors Google Fonts' families; brandkit "
                "downloads from Google Fonts only: --download-fonts fetches it from there)"
            )
        if self.mode == "declared":
            return " (if it is a Google Fonts family, --download-fonts fetches it)"
        return ""

    def fetch(self, font: DraftFont, folder: Path) -> tuple[FontFace, str]:
        """Download ``font`` (the nearest weight Google Fonts offers) into ``folder``: the face and the URL asked.

        Raises :class:`FontDownloadError` naming the family, the URL and the reason."""
        import httpx2

        headers = {"User-Agent": f"brandkit/{__version__} (brandkit spec import)"}
        with httpx2.Client(timeout=self.timeout_s, follow_redirects=True, headers=headers) as client:
            css, url, weight = self._css(client, font)
            font_url = _truetype_url(css, weight, font, url)
            try:
                answer = client.get(font_url)
            except httpx2.HTTPError as exc:
                raise FontDownloadError(font.family, font.source, font_url, f"{type(exc).__name__}: {exc}") from None
        data = answer.content
        if answer.status_code != 200:
            raise FontDownloadError(font.family, font.source, font_url, f"HTTP {answer.status_code}")
        if len(data) > MAX_FONT_BYTES or not data.startswith(_FONT_MAGIC):
            what = (
                "larger than 32 MiB" if len(data) > MAX_FONT_BYTES else f"not a TrueType/OpenType font ({data[:4]!r})"
            )
            raise FontDownloadError(font.family, font.source, font_url, f"the file served is {what}")
        suffix = ".otf" if data.startswith(b"OTTO") else ".ttf"
        path = folder / f"{re.sub(r'[^A-Za-z0-9]+', '', font.family) or 'font'}-{weight}{suffix}"
        path.write_bytes(data)
        face = read_face(path)
        if face is None or not _same_family(face.family, font.family):
            found = "an unreadable font" if face is None else f"family {face.family!r}"
            raise FontDownloadError(font.family, font.source, font_url, f"the file served is {found}")
        return FontFace(path, font.family, face.weight_min, face.weight_max, face.italic), url

    def _css(self, client: httpx2.Client, font: DraftFont) -> tuple[str, str, int]:
        """The CSS for the offered weight nearest ``font.weight``, its URL and that weight. The weight asked first;
        refused (400), the family alone tells an unknown family from a weight it lacks; then the nearest weights."""
        family = font.family.strip()
        weights = sorted(range(100, 1000, 100), key=lambda w: (abs(w - font.weight), -w))
        weights = [font.weight, *(w for w in weights if w != font.weight)]
        for i, weight in enumerate(weights):
            text, url, refused = self._get_css(client, font, f"{family}:wght@{weight}")
            if text is not None:
                return text, url, weight
            if i == 0 and self._get_css(client, font, family)[0] is None:
                raise FontDownloadError(family, font.source, url, f"Google Fonts has no such family ({refused})")
        raise FontDownloadError(family, font.source, url, f"no weight of it is offered ({refused})")

    def _get_css(self, client: httpx2.Client, font: DraftFont, family: str) -> tuple[str | None, str, str]:
        """``(css, url, "")`` for a 200, ``(None, url, why)`` for a 400; any other answer raises."""
        import httpx2

        url = str(httpx2.URL(self.css_url, params={"family": family}))
        try:
            answer = client.get(url)
        except httpx2.HTTPError as exc:
            raise FontDownloadError(font.family, font.source, url, f"{type(exc).__name__}: {exc}") from None
        if answer.status_code == 400:
            return None, url, f"HTTP 400: {answer.text.strip()[:200]!r}"
        if answer.status_code != 200:
            raise FontDownloadError(font.family, font.source, url, f"HTTP {answer.status_code}")
        if len(answer.content) > MAX_CSS_BYTES:
            raise FontDownloadError(font.family, font.source, url, "the CSS answered is larger than 256 KiB")
        return answer.text, url, ""


def _truetype_url(css: str, weight: int, font: DraftFont, url: str) -> str:
    """The TrueType/OpenType ``src`` of the upright face of ``weight`` in the API's CSS."""
    faces = []
    for block in _FACE.findall(css):
        props = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in block.split(";"))
            if value
        )
        if props.get("font-style", "normal") != "normal" or props.get("font-weight", str(weight)) != str(weight):
            continue
        faces.append(props)
    if len(faces) != 1:
        why = "no upright face" if not faces else f"{len(faces)} faces (web-font subsets, which a spec cannot use)"
        raise FontDownloadError(font.family, font.source, url, f"the CSS answered holds {why} of weight {weight}")
    sources: list[tuple[str, str]] = _URL.findall(faces[0].get("src", ""))
    for src, fmt in sources:
        if fmt.lower() in ("truetype", "opentype") or (not fmt and src.lower().endswith((".ttf", ".otf"))):
            return src
    if not sources:
        raise FontDownloadError(font.family, font.source, url, "the CSS answered names no font file (src)")
    formats = ", ".join(fmt or Path(src).suffix or "?" for src, fmt in sources)
    raise FontDownloadError(
        font.family, font.source, url, f"only web-font formats were offered ({formats}), which a spec cannot use"
    )


def _same_family(found: str, asked: str) -> bool:
    """A static instance Google Fonts makes may name itself "Inter SemiBold": its family starts with the one asked."""
    a, b = "".join(found.casefold().split()), "".join(asked.casefold().split())
    return a == b or a.startswith(b)
