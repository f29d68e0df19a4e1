"""AdCP ``brand.json`` (Ad Context Protocol brand discovery file) → one :class:`BrandDraft` per brand.

Read from the published schema (adcontextprotocol/adcp ``brand.json``): a **house portfolio** (``house`` and
``brands[]``: each brand imports on its own), a **brand canonical document** (the brand's fields at the top
level), and two forms without brand data — redirects (``authoritative_location``, ``house`` pointer) and
**brand agent** files — which are refused with a message saying what they point to.

Per brand: ``names`` (localized; the document's ``default_language`` first), ``description``, ``tagline``,
``industries``, ``target_audience``, ``logos[]`` (``url``, ``variant``, ``background`` dark-bg/light-bg/
transparent-bg), ``colors`` (role → hex or list of hex; extra roles allowed), ``fonts`` (role → family or
``{family, files[]}``), ``tone`` (string or ``{voice, attributes, dos, donts}``), ``disclaimers[]`` and
``visual_guidelines`` (photography, graphic style, logo placement, restrictions). Logos and font files are
URLs: brandkit does not download; a URL is used when a file of the same name lies beside the brand.json
(or in its ``logos/``/``fonts/`` folder), else the report says it was dropped.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import ColorParseError, parse_css_color
from brandkit.spec.importers.draft import BrandDraft, DraftColor, DraftFont, DraftLogo, humanize, local_file
from brandkit.spec.importers.fonts import brand_family, font_stack, stack_note
from brandkit.spec.importers.report import MappingReport

_BACKGROUNDS = {"dark-bg": ["dark"], "light-bg": ["light"], "transparent-bg": ["any"]}
_FONT_ROLES = {"primary": "headline", "secondary": "body", "heading": "headline", "body": "body", "cta": "cta"}
_MEDIUM = {
    "flat_illustration": "illustration", "hand_drawn": "illustration", "minimal_line_art": "illustration",
    "editorial_collage": "mixed", "photographic_composite": "mixed", "geometric": "flat-graphic",
    "isometric": "flat-graphic", "gradient_mesh": "flat-graphic", "3d_render": "3d",
}  # fmt: skip


class NoBrandDataError(SpecError):
    """The brand.json is a redirect or a brand-agent pointer: it holds no brand to import."""


def _localized(value: Any, language: str) -> Any:
    """Pick ``language`` (else the first) from a localized list of one-key maps; plain values pass through."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and len(v) == 1 for v in value):
        wanted = language.replace("-", "_").casefold()
        for entry in value:
            key = next(iter(entry))
            if key.replace("-", "_").casefold() in (wanted, wanted.split("_")[0]):
                return entry[key]
        return next(iter(value[0].values()))
    return value


def _local_file(url: str, base: Path, folder: str, where: str, source: str) -> Path | None:
    """A local copy of ``url``: a relative reference is a file in the brand file's folder (confined to it); for an
    absolute URL, a file of the same name in ``folder`` beside the brand file, or beside it."""
    parsed = urlparse(url)
    name = Path(parsed.path).name
    if name in ("", ".", ".."):
        return None
    if not parsed.scheme and not parsed.netloc:
        return local_file(parsed.path, base, "file", where, source)
    for candidate in (f"{folder}/{name}", name):
        if (base / candidate).is_file():
            return local_file(candidate, base, "file", where, source)  # a symlink leading out is refused
    return None


def brands_in(doc: Any, source: str) -> list[dict[str, Any]]:
    """The brand objects of a brand.json document (several for a house portfolio)."""
    if not isinstance(doc, dict):
        raise SpecError(f"{source}: a brand.json document is a JSON object")
    if "authoritative_location" in doc:
        raise NoBrandDataError(
            f"{source}: this brand.json redirects to {doc['authoritative_location']}; import that file"
        )
    if "brands" in doc:
        brands = doc["brands"]
        if not isinstance(brands, list) or not brands:
            raise SpecError(f"{source}: brands must be a non-empty list")
        return [b for b in brands if isinstance(b, dict)]
    if isinstance(doc.get("house"), str):
        raise NoBrandDataError(f"{source}: this brand.json points to the house domain {doc['house']}; import its file")
    if "brand_agent" in doc or ("agents" in doc and "names" not in doc):
        raise NoBrandDataError(f"{source}: this brand.json names a brand agent (brand data served over MCP); no data")
    return [doc]


def read_adcp_brand(
    brand: dict[str, Any], doc: dict[str, Any], path: Path, index: int, report: MappingReport
) -> BrandDraft:
    """A draft of one brand of the brand.json at ``path`` (``doc`` is the whole document)."""
    base = path.parent
    language = str(doc.get("default_language") or "en")
    prefix = f"brands[{index}]." if "brands" in doc else ""
    name = _localized(brand.get("names"), language)
    if not isinstance(name, str) or not name:
        name = str(brand.get("id") or path.stem)
        report.decide("name", f"the brand has no names; named {name!r} after its id")
    else:
        report.mapped(f"{prefix}names", "name", f"language {language}")
    draft = BrandDraft(name=name, report=report, base_dir=base)
    report.brand = name
    parts = []
    for key in ("description", "tagline", "target_audience"):
        value = _localized(brand.get(key), language)
        if isinstance(value, str) and value:
            parts.append(value if key == "description" else f"{key.replace('_', ' ').capitalize()}: {value}")
            (report.mapped if key == "description" else report.approximated)(
                f"{prefix}{key}", "description", "appended to the description (it goes into prompts)"
            )
    if isinstance(brand.get("industries"), list):
        parts.append("Industries: " + ", ".join(map(str, brand["industries"])))
        report.approximated(f"{prefix}industries", "description", "appended to the description")
    draft.description = " ".join(parts)
    _colors(draft, brand.get("colors"), prefix)
    _logos(draft, brand.get("logos"), base, prefix)
    _fonts(draft, brand.get("fonts"), base, prefix)
    _tone(draft, brand.get("tone"), language, prefix)
    for i, item in enumerate(brand.get("disclaimers") or []):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        if item.get("required", True):
            draft.disclaimers.append(item["text"])
            report.mapped(f"{prefix}disclaimers[{i}]", "required.disclaimers", str(item.get("context") or ""))
        else:
            report.dropped(
                f"{prefix}disclaimers[{i}]", "optional disclaimer (required: false): not drawn on every asset"
            )
    _visual(draft, brand.get("visual_guidelines"), prefix)
    handled = {"id", "names", "description", "tagline", "target_audience", "industries", "colors", "logos", "fonts",
               "tone", "disclaimers", "visual_guidelines"}  # fmt: skip
    for key in brand:
        if key not in handled:
            report.dropped(f"{prefix}{key}", "not brand identity brandkit uses for images (discovery, agents, rights)")
    return draft


def _colors(draft: BrandDraft, colors: Any, prefix: str) -> None:
    report = draft.report
    if not isinstance(colors, dict):
        return
    for role, value in colors.items():
        values = value if isinstance(value, list) else [value]
        for i, item in enumerate(values):
            where = f"{prefix}colors.{role}" + (f"[{i}]" if isinstance(value, list) else "")
            try:
                parsed = parse_css_color(str(item))
            except ColorParseError as exc:
                report.dropped(where, exc.message)
                continue
            name = humanize(str(role)) + (f" {i + 1}" if i else "")
            color = draft.add_color(DraftColor(name, parsed.hex, parsed.alpha, where))
            if i == 0:
                draft.roles[str(role)] = color.name
            else:
                draft.roles.setdefault(f"{role}_{i + 1}", color.name)


def _logos(draft: BrandDraft, logos: Any, base: Path, prefix: str) -> None:
    report = draft.report
    for i, logo in enumerate(logos or []):
        if not isinstance(logo, dict) or not isinstance(logo.get("url"), str):
            continue
        where = f"{prefix}logos[{i}]"
        local = _local_file(logo["url"], base, "logos", where, str(draft.report.source))
        if local is None:
            report.dropped(where, f"{logo['url']} is remote and no copy lies beside the brand.json (no download)")
            continue
        backgrounds = _BACKGROUNDS.get(str(logo.get("background")), ["light"])
        if logo.get("background") not in _BACKGROUNDS:
            report.approximated(where, "backgrounds", "no background given: for light backgrounds")
        variant = (
            "-".join(str(logo[k]) for k in ("variant", "background") if logo.get(k))
            or logo.get("id")
            or f"logo-{i + 1}"
        )
        draft.logos.append(DraftLogo(str(variant), local, backgrounds, where, str(logo.get("usage") or "")))
        for key in ("orientation", "tags", "slots", "usage", "width", "height"):
            if key in logo:
                report.dropped(f"{where}.{key}", "brandkit chooses a logo by background and measures the file itself")


def _fonts(draft: BrandDraft, fonts: Any, base: Path, prefix: str) -> None:
    report = draft.report
    if not isinstance(fonts, dict):
        return
    for key, value in fonts.items():
        where = f"{prefix}fonts.{key}"
        role = _FONT_ROLES.get(str(key))
        family = value if isinstance(value, str) else value.get("family") if isinstance(value, dict) else None
        if not isinstance(family, str) or role is None or role in draft.fonts:
            report.dropped(where, "a font role brandkit has no use for (it sets headline, body and CTA)")
            continue
        stack = font_stack(family)
        family, stand_ins = brand_family(stack)
        if family is None:
            report.dropped(where, f"only generic families {stack}")
            continue
        if len(stack) > 1:
            report.approximated(where, f"family {family!r}", stack_note(stack, family, stand_ins))
        files: list[Path] = []
        weight = 700 if role == "headline" else 400
        for i, item in enumerate((value.get("files") or []) if isinstance(value, dict) else []):
            url = str(item.get("url", "")) if isinstance(item, dict) else ""
            local = _local_file(url, base, "fonts", where, str(draft.report.source)) if url else None
            if local is not None:
                files.append(local)
                report.mapped(f"{where}.files[{i}]", "a font file searched first", f"local copy {local.name}")
            else:
                report.dropped(
                    f"{where}.files[{i}]",
                    f"{url} is remote and no copy lies beside the brand.json; the family is looked up by name",
                )
        draft.fonts[role] = DraftFont(family, weight, where, files, stand_ins=stand_ins)
        if isinstance(value, dict) and (value.get("fallbacks") or value.get("opentype_features")):
            report.dropped(f"{where}.fallbacks/opentype_features", "brandkit draws with one file per role")
    if "headline" not in draft.fonts and "body" in draft.fonts:
        body = draft.fonts["body"]
        draft.fonts["headline"] = replace(body, weight=700)
        report.approximated(body.source, "typography.headline", "no primary font: the secondary family")


def _tone(draft: BrandDraft, tone: Any, language: str, prefix: str) -> None:
    report = draft.report
    if isinstance(tone, str):
        draft.tone = [t.strip() for t in re.split(r"[,;]", tone) if t.strip()]
        report.approximated(f"{prefix}tone", "voice.tone", "split into tone words at commas")
        return
    if not isinstance(tone, dict):
        return
    voice = _localized(tone.get("voice"), language)
    attributes = _localized(tone.get("attributes"), language)
    draft.tone = ([voice] if isinstance(voice, str) else []) + (
        list(attributes) if isinstance(attributes, list) else []
    )
    dos, donts = _localized(tone.get("dos"), language), _localized(tone.get("donts"), language)
    draft.do = list(dos) if isinstance(dos, list) else []
    draft.dont = list(donts) if isinstance(donts, list) else []
    report.mapped(f"{prefix}tone", "voice (tone, do, dont)", f"language {language}")


def _visual(draft: BrandDraft, visual: Any, prefix: str) -> None:
    report = draft.report
    if not isinstance(visual, dict):
        return
    where = f"{prefix}visual_guidelines"
    photo = visual.get("photography") if isinstance(visual.get("photography"), dict) else {}
    if photo:
        draft.style["medium"] = "photography"
        if isinstance(photo.get("lighting"), str):
            draft.style["lighting"] = photo["lighting"]
        mood = (
            ((photo.get("subject") or {}).get("people") or {}).get("mood")
            if isinstance(photo.get("subject"), dict)
            else None
        )
        if isinstance(mood, list):
            draft.style["mood"] = ", ".join(map(str, mood))
        bits = [
            f"{k.replace('_', ' ')} {photo[k]}"
            for k in ("realism", "color_temperature", "contrast", "depth_of_field")
            if isinstance(photo.get(k), str)
        ]
        if bits:
            draft.style["description"] = "Photography: " + ", ".join(bits)
        report.approximated(
            f"{where}.photography", "style", "medium photography; lighting, mood and look as words for prompts"
        )
    graphic: dict[str, Any] = visual["graphic_style"] if isinstance(visual.get("graphic_style"), dict) else {}
    if graphic.get("style_type") in _MEDIUM and not photo:
        draft.style["medium"] = _MEDIUM[graphic["style_type"]]
        report.approximated(
            f"{where}.graphic_style.style_type", "style.medium", f"{graphic['style_type']} → {draft.style['medium']}"
        )
    placement: dict[str, Any] = visual["logo_placement"] if isinstance(visual.get("logo_placement"), dict) else {}
    if placement.get("preferred_position"):
        draft.logo_placement = str(placement["preferred_position"])
        report.mapped(f"{where}.logo_placement.preferred_position", "logos[].placements")
    clear = placement.get("min_clear_space")
    if isinstance(clear, str) and re.fullmatch(r"\d+(\.\d+)?x", clear.strip()):
        draft.logo_clear_space = min(2.0, float(clear.strip()[:-1]))
        report.mapped(f"{where}.logo_placement.min_clear_space", "logos[].clear_space")
    elif clear is not None:
        report.dropped(f"{where}.logo_placement.min_clear_space", f"{clear!r} is not a multiple of the logo height")
    for i, text in enumerate(visual.get("restrictions") or []):
        draft.imagery_forbidden.append(str(text))
        report.approximated(
            f"{where}.restrictions[{i}]", "forbidden.imagery", "a prohibition given to the prompt as an exclusion"
        )
    for key in visual:
        if key not in ("photography", "graphic_style", "logo_placement", "restrictions"):
            report.dropped(f"{where}.{key}", "layout and motion rules brandkit does not take from the brand file")


def read_adcp(doc: Any, path: Path, make_report: Any) -> list[BrandDraft]:
    """Drafts of every brand in the brand.json at ``path``; ``make_report()`` gives each a fresh report."""
    drafts = []
    for i, brand in enumerate(brands_in(doc, str(path))):
        drafts.append(read_adcp_brand(brand, doc, path, i, make_report()))
    return drafts
