"""Which optional parameters each image model and endpoint takes, and what brandkit does with the rest.

Nothing is dropped silently: a parameter the chosen model or endpoint does not take is either refused before
anything is sent (:class:`UnsupportedParameter`, turned into a
:class:`~brandkit.provider.openai.errors.LocalParameterError` naming the parameter, the model and the endpoint), or —
when leaving it out changes nothing, because the value is what the model does anyway — left out with a note
(:attr:`ParamDecision.notes`, logged as a warning with every request and kept on the plan). The table, with its
sources (the OpenAI API description and ``docs/openai.md``):

================  =======================  ==========================  ==================================
parameter         images.generate /        images.edit (multipart)     Batch JSON ``/v1/images/edits``
                  Batch generations
================  =======================  ==========================  ==================================
moderation        sent                     ``auto``: left out, noted;  sent
                                           ``low``: refused
input_fidelity    refused (no input        gpt-image-2: ``high`` left out, noted; ``low`` refused ·
                  image)                   gpt-image-1-mini: ``low`` left out, noted; ``high`` refused ·
                                           gpt-image-1, gpt-image-1.5, others: sent
safety_identifier sent (live); Batch:      sent                        sent as ``user``, noted (refused
                  sent as ``user``, noted                              when ``user`` differs)
================  =======================  ==========================  ==================================

DALL·E models (``dall-e-2``, ``dall-e-3``) are refused outright: retired on 2026-05-12, and they take none of
the GPT image parameters brandkit sends (``output_format``, ``background``, ``quality`` low/medium/high …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "INPUT_FIDELITY",
    "LOW_FIDELITY_ONLY",
    "MODERATION_LEVELS",
    "ParamDecision",
    "Transport",
    "UnsupportedParameter",
    "check_model",
    "decide_params",
    "endpoint_name",
]

Transport = Literal["live", "batch"]
MODERATION_LEVELS = ("low", "auto")
INPUT_FIDELITY = ("low", "high")
LOW_FIDELITY_ONLY = frozenset({"gpt-image-1-mini"})
"""Models whose only input fidelity is ``low`` (the API description: input_fidelity unsupported)."""


class UnsupportedParameter(ValueError):
    """A parameter the model or endpoint cannot take (``field``, ``value``, ``problem``)."""

    def __init__(self, field: str, value: Any, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}={value!r}: {problem}")


@dataclass
class ParamDecision:
    """What to send for the model-dependent parameters, and a note for each one left out."""

    send: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def endpoint_name(operation: Literal["generate", "edit"], transport: Transport) -> str:
    """The endpoint a request goes to, as messages name it."""
    if transport == "batch":
        return (
            "the Batch API's JSON /v1/images/edits" if operation == "edit" else "the Batch API's /v1/images/generations"
        )
    return (
        "images.edit (multipart /v1/images/edits)"
        if operation == "edit"
        else "images.generate (/v1/images/generations)"
    )


def check_model(model: str) -> None:
    """Raise :class:`UnsupportedParameter` for a model brandkit cannot drive (DALL·E)."""
    if model.startswith("dall-e"):
        raise UnsupportedParameter(
            "model",
            model,
            "DALL·E models were retired on 2026-05-12 and take none of the GPT image parameters brandkit sends "
            "(output_format, background, quality low/medium/high, moderation); use gpt-image-2",
        )


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise UnsupportedParameter(name, value, f"must be one of {', '.join(allowed)}")
    return value


def decide_params(
    params: Mapping[str, Any],
    *,
    model: str,
    operation: Literal["generate", "edit"],
    transport: Transport,
    fidelity_supported: bool,
    safety_identifier: str | None = None,
) -> ParamDecision:
    """Decide ``moderation``, ``input_fidelity``, ``safety_identifier`` and ``user`` for one request.

    ``fidelity_supported`` is the model's rule (:attr:`brandkit.spec.sizes.ModelRules.input_fidelity`);
    ``safety_identifier`` the provider's default, overridden by ``params``. Raises
    :class:`UnsupportedParameter` for what cannot be honoured.
    """
    decision = ParamDecision()
    where = endpoint_name(operation, transport)
    if "moderation" in params:
        _moderation(
            decision, _choice("moderation", params["moderation"], MODERATION_LEVELS), model, where, operation, transport
        )
    if "input_fidelity" in params:
        fidelity = _choice("input_fidelity", params["input_fidelity"], INPUT_FIDELITY)
        _fidelity(decision, fidelity, model, where, operation, fidelity_supported)
    identifier = params.get("safety_identifier", safety_identifier)
    if identifier is not None and (not isinstance(identifier, str) or not identifier or len(identifier) > 256):
        raise UnsupportedParameter("safety_identifier", identifier, "must be a string of 1 to 256 characters")
    user = str(params["user"]) if params.get("user") is not None else None
    if transport == "live" or identifier is None:
        if identifier is not None:
            decision.send["safety_identifier"] = identifier
        if user is not None:
            decision.send["user"] = user
        return decision
    if user is not None and user != identifier:
        raise UnsupportedParameter(
            "safety_identifier",
            identifier,
            f"{where} has no safety_identifier field, only user, and user is already set to another value",
        )
    decision.send["user"] = identifier
    decision.notes.append(
        f"safety_identifier sent as user: {where} has no safety_identifier field; user is its end-user id"
    )
    return decision


def _moderation(
    decision: ParamDecision, level: str, model: str, where: str, operation: str, transport: Transport
) -> None:
    if operation == "generate" or transport == "batch":
        decision.send["moderation"] = level
    elif level == "auto":
        decision.notes.append(
            f"moderation='auto' not sent: {where} does not take moderation, and 'auto' is what it does anyway"
        )
    else:
        raise UnsupportedParameter(
            "moderation",
            level,
            f"{where} does not take moderation (model {model}); only images.generate and the Batch API's JSON "
            "edits do. Use moderation 'auto', logo: overlay (then the request is a generation) or the Batch engine",
        )


def _fidelity(decision: ParamDecision, fidelity: str, model: str, where: str, operation: str, supported: bool) -> None:
    if operation == "generate":
        raise UnsupportedParameter(
            "input_fidelity", fidelity, f"applies only to edits; this request to {where} ({model}) has no input image"
        )
    if not supported:
        if fidelity == "low":
            raise UnsupportedParameter(
                "input_fidelity",
                fidelity,
                f"{model} does not take input_fidelity on {where}: it always processes input images at high "
                "fidelity, so 'low' cannot be honoured; leave it out",
            )
        decision.notes.append(
            f"input_fidelity='high' not sent: {model} always processes input images at high fidelity and the "
            "API says to leave the parameter out"
        )
    elif model in LOW_FIDELITY_ONLY:
        if fidelity == "high":
            raise UnsupportedParameter(
                "input_fidelity",
                fidelity,
                f"{model} does not support input_fidelity='high' on {where}; use gpt-image-1.5 or leave it out",
            )
        decision.notes.append(
            f"input_fidelity='low' not sent: {model} does not take input_fidelity, and 'low' is what it does anyway"
        )
    else:
        decision.send["input_fidelity"] = fidelity
