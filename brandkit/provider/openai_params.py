"""Which optional parameters each image model and endpoint takes: moved to :mod:`brandkit.provider.openai.params`.

This module keeps the old import path working (it re-exports the same names).
"""

from __future__ import annotations

from brandkit.provider.openai.params import (
    INPUT_FIDELITY,
    LOW_FIDELITY_ONLY,
    MODERATION_LEVELS,
    ParamDecision,
    Transport,
    UnsupportedParameter,
    check_model,
    decide_params,
    endpoint_name,
)

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
