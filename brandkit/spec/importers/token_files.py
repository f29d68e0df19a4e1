"""Which token documents an import path holds: a DTCG file, a resolver (``.resolver.json``: sets, modifiers, the
resolution order), a folder of token files (``light``/``dark`` files are modes), a Tokens Studio sync folder or
file, a Style Dictionary file — each merged into the default document and one document per mode, for
:mod:`brandkit.spec.importers.dtcg` to read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brandkit.documents import JSON5_SUFFIXES, read_document
from brandkit.errors import SpecError
from brandkit.spec.formats import has_dtcg_token
from brandkit.spec.importers.draft import local_file
from brandkit.spec.importers.legacy_tokens import (
    has_legacy_token,
    is_studio_folder,
    legacy_sets,
    studio_folder_sets,
    to_dtcg,
)
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.token_docs import merge_tokens, mode_of, split_modes

MAX_TOKEN_FILE_BYTES = 8 * 1024 * 1024


def _load(path: Path) -> Any:
    return read_document(path, max_bytes=MAX_TOKEN_FILE_BYTES, what="design tokens file", json5=True)


def token_sets(path: Path, report: MappingReport) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str]:
    """The merged default document, each other mode's merged document, and a name hint."""
    if path.is_dir():
        resolvers = sorted(path.glob("*.resolver.json"))
        if resolvers:
            return _resolver(resolvers[0], report)
        if is_studio_folder(path):
            return (*studio_folder_sets(path, report), path.name)
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith((".tokens.json", ".tokens")))
        if not files:
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".json", *JSON5_SUFFIXES))
        named: list[tuple[str, dict[str, Any]]] = []
        for file in files:
            doc = _load(file)
            if not isinstance(doc, dict):
                raise SpecError(f"{file}: a design tokens file is a JSON object")
            if _is_legacy(doc):
                doc = to_dtcg(doc)
                report.approximated(str(file.relative_to(path)), "tokens", "value/type without $ read as $value/$type")
            mode = mode_of(file.name)
            named.append((file.name, doc))
            report.mapped(str(file.relative_to(path)), f"token set{' (mode ' + mode + ')' if mode else ''}")
        return (*split_modes(named), path.name)
    doc = _load(path)
    if isinstance(doc, dict) and "resolutionOrder" in doc:
        return _resolver(path, report)
    if not isinstance(doc, dict):
        raise SpecError(f"{path}: a design tokens file is a JSON object")
    if _is_legacy(doc):
        return (*legacy_sets(doc, report, path.name), path.name.split(".")[0])
    return doc, {}, path.name.split(".")[0]


def _is_legacy(doc: dict[str, Any]) -> bool:
    """A Tokens Studio / Style Dictionary document (``value``/``type`` without ``$``, no DTCG token in it)."""
    return not has_dtcg_token(doc) and has_legacy_token(doc)


def _resolver(path: Path, report: MappingReport) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str]:
    doc = _load(path)
    if not isinstance(doc, dict):
        raise SpecError(f"{path}: a resolver document is a JSON object")
    sets = doc.get("sets") or {}
    modifiers = doc.get("modifiers") or {}

    def sources(items: Any, where: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for item in items or []:
            ref = item.get("$ref") if isinstance(item, dict) else None
            if isinstance(ref, str) and ref.startswith("#/sets/"):
                merged = merge_tokens(merged, sources((sets.get(ref[7:]) or {}).get("sources"), ref))
            elif isinstance(ref, str) and not ref.startswith("#"):
                doc_part = _load(local_file(ref, path.parent, "token file", where, str(path)))
                merged = merge_tokens(merged, doc_part if isinstance(doc_part, dict) else {})
            elif isinstance(item, dict) and "$ref" not in item:
                merged = merge_tokens(merged, item)  # inline tokens
            else:
                report.dropped(f"{where}: {ref}", "a reference the resolver importer does not follow")
        return merged

    base: dict[str, Any] = {}
    mode_docs: dict[str, dict[str, Any]] = {}
    for step in doc.get("resolutionOrder") or []:
        ref = step.get("$ref") if isinstance(step, dict) else None
        if isinstance(ref, str) and ref.startswith("#/sets/"):
            base = merge_tokens(base, sources((sets.get(ref[7:]) or {}).get("sources"), ref))
        elif isinstance(ref, str) and ref.startswith("#/modifiers/"):
            modifier = modifiers.get(ref[12:]) or {}
            contexts = modifier.get("contexts") or {}
            default = modifier.get("default") or next(iter(contexts), None)
            for name, items in contexts.items():
                mode_docs[name] = sources(items, f"{ref}/contexts/{name}")
            report.mapped(f"{ref} ({', '.join(contexts)})", f"palette default = {default}, other contexts → modes")
            if default in mode_docs:
                base = merge_tokens(base, mode_docs.pop(default))
        else:
            report.dropped(f"resolutionOrder: {step!r}"[:120], "not a set or modifier reference")
    return (
        base,
        {m: merge_tokens(base, d) for m, d in mode_docs.items()},
        str(doc.get("name") or path.name.split(".")[0]),
    )
