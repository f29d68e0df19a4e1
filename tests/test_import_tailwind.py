"""``brandkit spec import`` of a Tailwind CSS 3 configuration: its theme read as written, never run.

The configurations are written here from scratch in the shapes Tailwind's documentation and web projects use:
CommonJS and ESM/TypeScript, ``theme.colors`` beside ``theme.extend.colors``, nested palettes with ``DEFAULT``,
``require('tailwindcss/colors')`` references, spreads of ``defaultTheme``, functions, CSS variables (shadcn/ui),
``presets``. Imports run for real (fontconfig, the written folder loaded back).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from brandkit.errors import SpecError
from brandkit.spec.importers.detect import detect_path
from brandkit.spec.importers.importer import ImportResult, import_brand
from brandkit.spec.importers.js_literals import Expression
from brandkit.spec.importers.tailwind_config import read_config

COMMONJS = """/** @type {import('tailwindcss').Config} */
const defaultTheme = require('tailwindcss/defaultTheme')
const colors = require("tailwindcss/colors")

module.exports = {
  content: ['./src/**/*.{js,ts,jsx,tsx}', "./index.html"],  // globs hold quotes and slashes
  darkMode: 'class',
  presets: [require('./brand-preset')],
  theme: {
    colors: {
      transparent: 'transparent',
      white: '#ffffff',
      gray: colors.slate,
      brand: {
        50: '#eef7ff',
        500: '#0b72db', // the brand blue
        900: '#0a2f59',
        DEFAULT: '#0b72db',
      },
      'accent': { DEFAULT: `#ff6b35`, soft: 'rgb(255 107 53 / 0.2)' },
    },
    extend: {
      colors: {
        ink: "#0b1020",
        primary: { DEFAULT: 'hsl(var(--primary))', foreground: 'hsl(var(--primary-foreground))' },
        [`dynamic-${1}`]: '#123456',
      },
      fontFamily: {
        sans: ['"DejaVu Sans"', ...defaultTheme.fontFamily.sans],
        display: [['DejaVu Serif', 'serif'], { fontFeatureSettings: '"ss01"' }],
      },
      borderRadius: ({ theme }) => ({ xl: theme('spacing.4') }),
    },
  },
  plugins: [require('@tailwindcss/forms')],
}
"""


def _import(tmp_path: Path, name: str, text: str) -> ImportResult:
    project = tmp_path / "acme-web"
    project.mkdir(exist_ok=True)
    (project / name).write_text(text, encoding="utf-8")
    [result] = import_brand(project, tmp_path / "out")
    return result


def _dropped(result: ImportResult) -> dict[str, str]:
    return {e.source: e.note for e in result.report.entries if e.kind == "dropped"}


def test_a_tailwind_config_imports_its_theme_without_running_it(tmp_path: Path) -> None:
    """A project folder with tailwind.config.js is read as the brand: ``brand.DEFAULT`` is the primary (named
    ``brand``, as ``bg-brand``), the accent its own ``DEFAULT``, the rest allowed; ``font-sans`` the body and
    ``display`` the headline (its tuple form read). What only running the file would tell is dropped and named."""
    result = _import(tmp_path, "tailwind.config.js", COMMONJS)
    assert result.report.format == "Tailwind CSS configuration"
    spec = yaml.safe_load((result.out / "brand.yaml").read_text(encoding="utf-8"))
    roles = {c["role"]: (c["name"], c["hex"]) for c in spec["palette"]["colors"]}
    assert roles == {"primary": ("Brand", "#0B72DB"), "accent": ("Accent", "#FF6B35")}
    allowed = {c["name"]: c["hex"] for c in spec["palette"]["allowed"]}
    assert allowed["Brand 900"] == "#0A2F59" and allowed["Accent Soft"] == "#FFE1D7"  # rgb(… / 0.2) over white
    assert allowed["Gray 500"] == "#64748B" and allowed["Gray 950"] == "#020617"  # gray: colors.slate, Tailwind's
    assert spec["typography"]["headline"]["family"] == "DejaVu Serif"
    assert spec["typography"]["body"]["family"] == "DejaVu Sans"
    dropped = _dropped(result)
    notes = {e.source: e.note for e in result.report.entries if e.kind == "approximated"}
    assert "Tailwind's own palette (tailwindcss/colors" in notes["colors.slate"]
    assert "a CSS variable no stylesheet of the project declares" in dropped["theme.extend.colors.primary.DEFAULT"]
    assert "a CSS keyword" in dropped["theme.colors.transparent"]
    assert "a spread" in dropped["...defaultTheme.fontFamily.sans"]
    assert "import that file" in dropped["presets"]
    assert "#123456" not in allowed.values()  # a computed key: never guessed
    decide = " ".join(e.note for e in result.report.entries if e.kind == "decide")
    assert "named 'Acme Web' after its project's folder" in decide


def test_an_esm_typescript_config_is_read_the_same(tmp_path: Path) -> None:
    """``export default {…} satisfies Config``; a colour's ``light`` / ``dark`` shades are allowed colours, not the
    neutral role ``color.light`` / ``color.dark`` name (before, ``secondary.light`` became a neutral)."""
    config = (
        "import type { Config } from 'tailwindcss'\n\nexport default {\n  content: [],\n  theme: {\n"
        "    extend: {\n      colors: { primary: '#7C3AED', secondary: { light: '#7DD3FC', DEFAULT: '#0EA5E9', "
        "dark: '#075985' } },\n      fontFamily: { heading: 'DejaVu Serif' },\n    },\n  },\n} satisfies Config\n"
    )
    result = _import(tmp_path, "tailwind.config.ts", config)
    assert {(c.role.value, c.hex) for c in result.spec.palette.colors} == {
        ("primary", "#7C3AED"),
        ("secondary", "#0EA5E9"),
    }
    assert {c.hex for c in result.spec.palette.allowed} == {"#7DD3FC", "#075985"}
    assert result.spec.typography.headline.family == "DejaVu Serif"


def test_a_config_whose_theme_only_running_it_gives_says_so(tmp_path: Path) -> None:
    project = tmp_path / "web"
    project.mkdir()
    (project / "tailwind.config.js").write_text("module.exports = { theme: makeTheme('acme') }\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"theme is not an object literal \(makeTheme\('acme'\) …\)"):
        import_brand(project, tmp_path / "out")
    (project / "tailwind.config.js").write_text("module.exports = { content: [], plugins: [] }\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"no theme: \{…\} in this Tailwind configuration"):
        import_brand(project / "tailwind.config.js", tmp_path / "out")


def test_a_project_folder_is_read_for_its_brand_file_before_its_tailwind_config(tmp_path: Path) -> None:
    (tmp_path / "tailwind.config.js").write_text(COMMONJS, encoding="utf-8")
    assert detect_path(tmp_path)[0] == "tailwind"
    (tmp_path / "_brand.yml").write_text("color: {primary: '#123456'}\n", encoding="utf-8")
    assert detect_path(tmp_path)[0] == "brand-yml"


def test_the_reader_keeps_values_as_written_and_expressions_as_text() -> None:
    read = read_config(
        "export default { theme: { a: 'x\\'y', b: [1, 'two', `t`], c: { d: -2.5 }, e: fn(1, {f: 2}), "
        "g() { return 1 }, h, ...rest, i: `${x}` } }",
        "cfg",
    )
    theme, reader, presets = read.theme, read.reader, read.presets
    assert theme == {
        "a": "x'y",
        "b": ["1", "two", "t"],
        "c": {"d": "-2.5"},
        "e": Expression("fn(1, {f: 2})"),
        "g": Expression("g() { return 1 }"),
        "h": Expression("h"),
        "i": Expression("`${x}`"),
    }
    assert reader.spreads == ["...rest"] and presets is False


SHADCN_CONFIG = """import type { Config } from "tailwindcss"

const config = {
  darkMode: ["class"],
  theme: {
    extend: {
      colors: {
        border: "hsl(var(--border))",
        background: "hsl(var(--background))",
        foreground: "hsl(var(--foreground))",
        primary: { DEFAULT: "hsl(var(--primary))", foreground: "hsl(var(--primary-foreground))" },
        brand: "rgb(var(--brand) / <alpha-value>)",
      },
      fontFamily: { sans: ["var(--font-geist-sans)"], display: ["var(--font-display)", "serif"] },
    },
  },
} satisfies Config

export default config
"""
GLOBALS = """@tailwind base;
@layer base {
  :root {
    --background: 0 0% 100%;
    --foreground: 222.2 84% 4.9%;
    --primary: 221.2 83.2% 53.3%;
    --primary-foreground: 210 40% 98%;
    --border: 214.3 31.8% 91.4%;
    --brand: 255 115 53;
    --font-display: "DejaVu Serif";
  }
  .dark { --background: 222.2 84% 4.9%; --primary: 217.2 91.2% 59.8%; }
}
"""


def test_a_project_s_css_variables_are_read_from_its_own_stylesheet(tmp_path: Path) -> None:
    """shadcn/ui's Tailwind 3 project: the configuration names CSS variables (``hsl(var(--primary))``), the
    stylesheet declares them as bare channels. Importing the project folder reads both: the stylesheet is found
    (not one under node_modules declaring the same names), its dark block is the dark mode; a font variable set by
    next/font at run time is dropped and named (before: every colour dropped, "defines no colour")."""
    project = tmp_path / "shop"
    (project / "app").mkdir(parents=True)
    (project / "tailwind.config.ts").write_text(SHADCN_CONFIG, encoding="utf-8")
    (project / "app" / "globals.css").write_text(GLOBALS, encoding="utf-8")
    (project / "node_modules" / "kit").mkdir(parents=True)
    (project / "node_modules" / "kit" / "theme.css").write_text(
        ":root { --primary: 0 100% 50%; --background: 0 0% 0%; --foreground: 0 0% 100%; --border: 0 0% 50%; }",
        encoding="utf-8",
    )
    [result] = import_brand(project, tmp_path / "out")
    roles = {c.role.value: c.hex for c in result.spec.palette.colors}
    assert roles["primary"] == "#2563EB" and roles["background"] == "#FFFFFF" and roles["text"] == "#020817"
    assert result.spec.palette.modes["dark"]["Primary"] == "#3B82F6"
    assert "#FF7335" in {c.hex for c in result.spec.palette.allowed}  # rgb(var(--brand) / …); primary is marked
    assert result.spec.typography.headline.family == "DejaVu Serif"  # display: var(--font-display), declared
    mapped = {e.source: e.target for e in result.report.entries if e.kind == "mapped"}
    assert "the stylesheet declaring 7 of the 8 CSS variable(s)" in mapped["app/globals.css"]
    assert "next/font sets such variables" in _dropped(result)["theme.extend.fontFamily.sans"]


def test_names_the_file_binds_to_data_are_read(tmp_path: Path) -> None:
    """A configuration's own constants (``const brand = {…}``, spread or named) and Tailwind's palette
    (``require('tailwindcss/colors')``, destructured from ``defaultTheme``) read as the values they name."""
    config = (
        "const colors = require('tailwindcss/colors')\n"
        "const { colors: defaults } = require('tailwindcss/defaultTheme')\n"
        "const brand = { ink: '#0B1020', sea: { 500: '#0B72DB' } }\n\nmodule.exports = {\n  theme: {\n    extend: {\n"
        "      colors: { ...brand, primary: brand.sea[500], accent: colors.orange[500], neutral: defaults.stone },\n"
        "      fontFamily: { heading: 'DejaVu Serif' },\n    },\n  },\n}\n"
    )
    result = _import(tmp_path, "tailwind.config.js", config)
    roles = {c.role.value: c.hex for c in result.spec.palette.colors}
    assert roles == {"primary": "#0B72DB", "accent": "#F97316"}
    allowed = {c.name: c.hex for c in result.spec.palette.allowed}
    assert allowed["Ink"] == "#0B1020" and allowed["Neutral 500"] == "#78716C"  # stone, as a neutral scale's steps
    notes = {e.source: e.note for e in result.report.entries if e.kind == "approximated"}
    assert "Tailwind's own palette" in notes["colors.orange[500]"] and "...brand" in notes


def test_a_side_effect_import_does_not_hide_the_constants_after_it() -> None:
    """``import './globals.css'`` binds nothing: the reader goes on to the declarations that follow (before the fix
    it scanned on to the next ``from``, past ``const brand``)."""
    text = (
        "import './globals.css'\nconst brand = { sea: '#0B72DB' }\nimport colors from 'tailwindcss/colors'\n"
        "export default { theme: { colors: { primary: brand.sea, accent: colors.red } } }\n"
    )
    read = read_config(text, "cfg", {"red": {"500": "#ef4444"}})
    theme, reader = read.theme, read.reader
    assert theme["colors"] == {"primary": "#0B72DB", "accent": {"500": "#ef4444"}}
    assert reader.resolved == ["brand.sea", "colors.red"]


def test_tailwind_4_s_palette_is_not_taken_for_tailwind_3_s(tmp_path: Path) -> None:
    """With tailwindcss 4 in package.json, ``colors.indigo`` is OKLCH values brandkit does not bundle: dropped, and
    the error says what the theme holds instead."""
    project = tmp_path / "web"
    project.mkdir()
    (project / "package.json").write_text('{"devDependencies": {"tailwindcss": "^4.1.3"}}', encoding="utf-8")
    (project / "tailwind.config.js").write_text(
        "const colors = require('tailwindcss/colors')\n"
        "module.exports = { theme: { colors: { primary: colors.indigo }, fontFamily: { sans: 'DejaVu Sans' } } }",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"1 is JavaScript only running the file would give \(colors\.indigo\)"):
        import_brand(project, tmp_path / "out")
    (project / "package.json").write_text('{"devDependencies": {"tailwindcss": "^3.4.17"}}', encoding="utf-8")
    [result] = import_brand(project, tmp_path / "out")
    assert [c.hex for c in result.spec.palette.colors] == ["#4F46E5"]  # indigo's purest step: 600


def test_a_theme_of_css_variables_without_their_stylesheet_says_what_to_import(tmp_path: Path) -> None:
    project = tmp_path / "web"
    project.mkdir()
    (project / "tailwind.config.js").write_text(
        "module.exports = { theme: { extend: { colors: { primary: 'hsl(var(--primary) / <alpha-value>)' } } } }",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"1 is a CSS variable no stylesheet of the project declares \(hsl\(var"):
        import_brand(project, tmp_path / "out")


def test_a_tailwind_4_project_folder_is_read_from_its_stylesheet(tmp_path: Path) -> None:
    """Tailwind 4 keeps its theme in CSS and a project has no configuration: the folder is read from the stylesheet
    shadcn/ui's components.json names, else from where its framework keeps it (app/globals.css, src/index.css…),
    named after the project; a components.json naming a file outside the project is not followed."""
    project = tmp_path / "harbour-web"
    (project / "src").mkdir(parents=True)
    (project / "src" / "index.css").write_text(
        '@import "tailwindcss";\n@theme {\n  --color-brand: #0b72db;\n  --font-display: "DejaVu Serif";\n}\n',
        encoding="utf-8",
    )
    outside = tmp_path / "elsewhere.css"
    outside.write_text(":root { --color-brand: #ff0000; }", encoding="utf-8")
    (project / "components.json").write_text('{"tailwind": {"css": "../elsewhere.css"}}', encoding="utf-8")
    fmt, why, file = detect_path(project)
    assert (fmt, file) == ("css", project / "src" / "index.css") and "src/index.css" in why
    [result] = import_brand(project, tmp_path / "out")
    assert [(c.role.value, c.hex) for c in result.spec.palette.colors] == [("primary", "#0B72DB")]
    assert result.spec.name == "Harbour Web"
    (project / "styles").mkdir()
    (project / "styles" / "theme.css").write_text(":root { --color-brand: #123456; }", encoding="utf-8")
    (project / "components.json").write_text('{"tailwind": {"css": "styles/theme.css"}}', encoding="utf-8")
    assert detect_path(project)[2] == project / "styles" / "theme.css"


def test_a_literal_nested_beyond_reason_is_not_read_and_does_not_crash(tmp_path: Path) -> None:
    """50,000 nested brackets (a hostile or broken file): the reader stops at 64 levels — an expression, named —
    instead of exhausting Python's recursion (before: RecursionError with a traceback)."""
    theme = read_config("module.exports = { theme: { deep: " + "[" * 50_000 + "]" * 50_000 + " } }", "cfg").theme
    node, levels = theme["deep"], 0
    while isinstance(node, list):
        node, levels = node[0], levels + 1
    assert levels == 64 and isinstance(node, Expression) and "nested deeper than 64 levels" in node.text
    project = tmp_path / "web"
    project.mkdir()
    (project / "tailwind.config.js").write_text(
        "const a = "
        + "{a:" * 50_000
        + "1"
        + "}" * 50_000
        + "\nmodule.exports = { theme: { colors: { brand: '#123456' } } }",
        encoding="utf-8",
    )
    [result] = import_brand(project, tmp_path / "out", headline_font="DejaVu Sans")
    assert [c.hex for c in result.spec.palette.colors] == ["#123456"]


def test_a_rank_after_text_or_background_is_not_the_brand_s_primary(tmp_path: Path) -> None:
    """``text-primary`` / ``text-secondary`` rank the text colours and ``bg-secondary`` a background: they play
    text and background, never the brand's primary (before: the white text colour of a dark shop theme was its
    primary, its grey the secondary). With nothing marked primary, the first clear colour that plays no structural
    role — here ``brand-gold``, which no name gives a role — is made primary, to decide."""
    config = (
        "module.exports = { theme: { extend: { colors: {\n  'brand-black': '#0A0A0A', 'brand-gold': '#D4AF37',\n"
        "  'text-primary': '#FFFFFF', 'text-secondary': '#A0A0A0', 'bg-secondary': '#1A1A1A',\n"
        "} , fontFamily: { sans: 'DejaVu Sans' } } } }\n"
    )
    result = _import(tmp_path, "tailwind.config.js", config)
    roles = {c.role.value: c.hex for c in result.spec.palette.colors}
    assert roles == {"primary": "#D4AF37", "text": "#FFFFFF", "background": "#1A1A1A"}
    decide = {e.target: e.note for e in result.report.entries if e.kind == "decide"}
    assert "was made primary" in decide["palette.colors[Brand Gold].role"]


DAISY_CONFIG = """module.exports = {
  content: ["./src/**/*.{js,jsx}"],
  plugins: [require("daisyui")],
  daisyui: {
    themes: [
      {
        harbour: {
          primary: "#0B72DB",
          "primary-content": "#ffffff",
          secondary: "#0f766e",
          accent: "#f59e0b",
          neutral: "#1e293b",
          "base-100": "#ffffff",
          "base-content": "#0f172a",
          error: "#b91c1c",
          "--rounded-btn": "0.5rem",
        },
      },
      { "harbour-dark": { primary: "#60a5fa", "base-100": "#0f172a", "base-content": "#e2e8f0" } },
      "cupcake",
    ],
  },
  theme: { extend: { fontFamily: { sans: ["DejaVu Sans"] } } },
}
"""


def test_a_daisyui_theme_is_the_brand(tmp_path: Path) -> None:
    """DaisyUI 4 keeps a project's brand in ``daisyui.themes`` (the most used Tailwind component library): its
    first theme is the default — ``primary`` … ``neutral`` their roles, ``base-100`` the background,
    ``base-content`` the text —, the one named dark the dark mode; a built-in theme (``"cupcake"``) is DaisyUI's
    colours, named as not read (before: the configuration had no colour brandkit read)."""
    result = _import(tmp_path, "tailwind.config.js", DAISY_CONFIG)
    roles = {c.role.value: c.hex for c in result.spec.palette.colors if c.role.value != "accent"}
    assert roles == {
        "primary": "#0B72DB",
        "secondary": "#0F766E",
        "neutral": "#1E293B",
        "background": "#FFFFFF",
        "text": "#0F172A",
    }
    assert "#F59E0B" in {c.hex for c in result.spec.palette.colors if c.role.value == "accent"}
    assert result.spec.palette.modes["dark"]["Primary"] == "#60A5FA"
    assert "a built-in DaisyUI theme" in _dropped(result)["daisyui.themes: cupcake"]
