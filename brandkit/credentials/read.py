"""Reading Content Credentials (C2PA) from image bytes into a typed model, offline.

:func:`read_credentials` validates the manifest store with the official bindings (``c2pa-python``) — signature,
hard binding to the bytes, certificate chain against the trust anchors given (none by default) — and returns
:class:`Credentials`: the state (``absent``, ``valid``, ``trusted``, ``invalid``), the C2PA failure status codes,
and the chain of manifests from the first (the model's) to the active one (brandkit's, or a reviewer's).
Never fetches anything: remote manifests and OCSP are off.
"""

from __future__ import annotations

import io
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandkit.imageio import detect_format

CredentialState = Literal["absent", "valid", "trusted", "invalid"]
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
BRANDKIT_ASSERTION = "io.brandkit.asset"
MAX_CHAIN = 16
BASE_SETTINGS: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ActionSummary(_Model):
    """One ``c2pa.actions`` entry."""

    action: str
    digital_source_type: str | None = None
    software_agent: str | None = None
    description: str | None = None


class IngredientSummary(_Model):
    """One ingredient of a manifest (e.g. the model's image inside brandkit's manifest)."""

    title: str | None = None
    format: str | None = None
    relationship: str | None = None
    manifest: str | None = Field(default=None, description="The ingredient's own active manifest label, if any.")
    failures: list[str] = Field(default_factory=list, description="C2PA failure codes of the ingredient.")


class ManifestSummary(_Model):
    """One manifest: who signed it, with what, which actions it claims and brandkit's assertion when present."""

    label: str
    claim_generator: str | None = None
    title: str | None = None
    signer: str | None = Field(default=None, description="Common name of the signing certificate.")
    issuer: str | None = None
    algorithm: str | None = None
    actions: list[ActionSummary] = Field(default_factory=list)
    ingredients: list[IngredientSummary] = Field(default_factory=list)
    brandkit: dict[str, Any] | None = Field(default=None, description=f"The {BRANDKIT_ASSERTION} assertion's data.")


class Credentials(_Model):
    """The Content Credentials of one image, validated."""

    state: CredentialState
    codes: list[str] = Field(
        default_factory=list, description="C2PA failure status codes (e.g. assertion.dataHash.mismatch)."
    )
    message: str | None = Field(default=None, description="Why the store could not be read, when it could not.")
    chain: list[ManifestSummary] = Field(
        default_factory=list, description="Manifests from the first (the model's) to the active one."
    )

    @property
    def active(self) -> ManifestSummary | None:
        """The active manifest (the last in the chain)."""
        return self.chain[-1] if self.chain else None

    @property
    def present(self) -> bool:
        """Whether the image carries a manifest store at all."""
        return self.state != "absent"


def reader_context(trust_anchors: bytes | None) -> Any:
    """A ``c2pa.Context`` for offline validation, trusting ``trust_anchors`` (PEM) when given."""
    from c2pa import Context, Settings

    settings: dict[str, Any] = dict(BASE_SETTINGS)
    if trust_anchors:
        settings["trust"] = {"trust_anchors": trust_anchors.decode("ascii", "replace")}
    return Context(Settings.from_json(json.dumps(settings)))


def read_credentials(data: bytes, trust_anchors: bytes | None = None) -> Credentials:
    """Validate the Content Credentials embedded in ``data`` (PNG, JPEG or WebP).

    ``trust_anchors``: PEM CA certificates; a valid manifest signed under one of them is ``trusted``, else
    ``valid`` (with ``signingCredential.untrusted`` in ``codes``). Never raises for a bad file: a store that
    cannot be read is ``invalid`` with the reason in ``message``.
    """
    from c2pa import C2paError, Reader

    fmt = detect_format(data)
    if fmt not in MIME:
        return Credentials(state="absent", message=f"format {fmt or 'unknown'} is not read for Content Credentials")
    try:
        with Reader(MIME[fmt], io.BytesIO(data), context=reader_context(trust_anchors)) as reader:
            state = str(reader.get_validation_state() or "")
            results = reader.get_validation_results() or {}
            store = json.loads(reader.json())
    except C2paError.ManifestNotFound:
        return Credentials(state="absent")
    except C2paError as exc:
        return Credentials(state="invalid", codes=["manifest.unreadable"], message=_short(str(exc)))
    codes = _failure_codes(results)
    low = state.lower()
    mapped: CredentialState = "trusted" if low == "trusted" else "valid" if low == "valid" else "invalid"
    return Credentials(state=mapped, codes=codes, chain=_chain(store))


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure_codes(results: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    active = results.get("activeManifest") or {}
    for entry in active.get("failure") or []:
        codes.append(str(entry.get("code")))
    for delta in results.get("ingredientDeltas") or []:
        for entry in (delta.get("validationDeltas") or {}).get("failure") or []:
            codes.append(f"ingredient:{entry.get('code')}")
    return list(dict.fromkeys(codes))


def _chain(store: dict[str, Any]) -> list[ManifestSummary]:
    manifests: dict[str, Any] = store.get("manifests") or {}
    label = store.get("active_manifest")
    chain: list[ManifestSummary] = []
    seen: set[str] = set()
    while isinstance(label, str) and label in manifests and label not in seen and len(chain) < MAX_CHAIN:
        seen.add(label)
        summary = _summary(label, manifests[label])
        chain.append(summary)
        parents = [i.manifest for i in summary.ingredients if i.relationship == "parentOf" and i.manifest]
        label = parents[0] if parents else None
    chain.reverse()
    return chain


def _summary(label: str, manifest: dict[str, Any]) -> ManifestSummary:
    generators = manifest.get("claim_generator_info") or []
    generator = None
    if generators and isinstance(generators[0], dict):
        first = generators[0]
        generator = " ".join(str(first[k]) for k in ("name", "version") if first.get(k))
    signature = manifest.get("signature_info") or {}
    actions: list[ActionSummary] = []
    brandkit: dict[str, Any] | None = None
    for assertion in manifest.get("assertions") or []:
        name = str(assertion.get("label", ""))
        data = assertion.get("data") or {}
        if name.startswith("c2pa.actions"):
            for action in data.get("actions") or []:
                agent = action.get("softwareAgent")
                actions.append(
                    ActionSummary(
                        action=str(action.get("action")),
                        digital_source_type=action.get("digitalSourceType"),
                        software_agent=agent.get("name") if isinstance(agent, dict) else agent,
                        description=action.get("description"),
                    )
                )
        elif name == BRANDKIT_ASSERTION and isinstance(data, dict):
            brandkit = data
    ingredients = []
    for ingredient in manifest.get("ingredients") or []:
        failures = ((ingredient.get("validation_results") or {}).get("activeManifest") or {}).get("failure") or []
        ingredients.append(
            IngredientSummary(
                title=ingredient.get("title"),
                format=ingredient.get("format"),
                relationship=ingredient.get("relationship"),
                manifest=ingredient.get("active_manifest"),
                failures=[str(f.get("code")) for f in failures],
            )
        )
    return ManifestSummary(
        label=label,
        claim_generator=generator,
        title=manifest.get("title"),
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        algorithm=signature.get("alg"),
        actions=actions,
        ingredients=ingredients,
        brandkit=brandkit,
    )
