"""``brandkit spec import``: posit brand.yml, W3C design tokens (DTCG), AdCP brand.json, Adobe and Photoshop
swatch files, stylesheets' variables and Tailwind configurations → brandkit specs.

Each format has a reader (:mod:`.brand_yml`, :mod:`.dtcg`, :mod:`.adcp`, :mod:`.ase` and :mod:`.aco` — sharing
:mod:`.swatch_draft` —, :mod:`.css_vars`, :mod:`.tailwind_config`) that produces a format-independent
:class:`~.draft.BrandDraft`; :mod:`.build` turns a draft into spec data and files (colours, SVG logos rasterised,
fonts resolved by family), :mod:`.writer` writes the folder atomically and loads it back, and every decision goes
into a :class:`~.report.MappingReport`. :mod:`.export` writes a spec back out as DTCG or brand.yml.

The entry point is :func:`brandkit.spec.importers.importer.import_brand`. This module imports nothing. Format
detection is :mod:`brandkit.spec.formats` (``.detect`` re-exports it): the loader uses it without importing this
package, which imports the loader.
"""
