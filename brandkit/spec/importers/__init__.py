"""``brandkit spec import``: posit brand.yml, W3C design tokens (DTCG) and AdCP brand.json → brandkit specs.

Each format has a reader (:mod:`.brand_yml`, :mod:`.dtcg`, :mod:`.adcp`) that produces a format-independent
:class:`~.draft.BrandDraft`; :mod:`.build` turns a draft into spec data and files (colours, SVG logos rasterised,
fonts resolved by family), :mod:`.writer` writes the folder atomically and loads it back, and every decision goes
into a :class:`~.report.MappingReport`. :mod:`.export` writes a spec back out as DTCG or brand.yml.

The entry point is :func:`brandkit.spec.importers.importer.import_brand`. This module imports nothing. Format
detection is :mod:`brandkit.spec.formats` (``.detect`` re-exports it): the loader uses it without importing this
package, which imports the loader.
"""
