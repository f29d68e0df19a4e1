"""The OpenAI provider: gpt-image-2 (and family) through the official ``openai`` package.

:class:`OpenAIProvider` implements :class:`~brandkit.provider.base.ImageProvider`
(``render`` / ``arender``) and :class:`~brandkit.provider.base.Moderator`
(``moderate`` / ``amoderate``).

Every call goes through the same steps, shared by the sync and async flavours;
only the awaited transport call differs. One module per step:

1. **plan** (:mod:`.plan`, with the model/endpoint parameter table in :mod:`.params`) – check the
   parameters locally (size rules of the model, format / background / compression, ``n``, number and type
   of images, prompt length, mask) and build the SDK arguments. A bad value raises
   :class:`LocalParameterError` (an :class:`~brandkit.errors.InvalidParameterError`)
   naming the parameter and value; nothing is sent or billed.
2. **send** (:mod:`.client`, the SDK clients in :mod:`.transport`) – ``images.generate`` (no input
   image) or ``images.edit`` (base image first, then references in index order, as ``image[]`` parts), via
   ``with_raw_response`` to read ``x-request-id`` and ``x-ratelimit-*`` (:mod:`.headers`).
   The SDK's own retries are off (``max_retries=0``); :class:`RetryPolicy` retries.
3. **translate** (:mod:`.errors`) – SDK exceptions become typed :class:`~brandkit.errors.ProviderError`
   subclasses with the request id, the HTTP status, the rate-limit record and the original exception
   as ``__cause__``; messages are scrubbed of the API key.
4. **read** (:mod:`.responses`) – decode each ``b64_json``, check it is an image of the requested
   format and size (else :class:`~brandkit.errors.ProviderResponseError`), and
   bill the usage with the :class:`~brandkit.provider.pricing.PriceTable`.

Each answer's rate-limit headers travel with it as a typed :class:`RateLimitInfo`
(:attr:`brandkit.models.RenderResult.rate_limit`, :attr:`brandkit.errors.ProviderError.rate_limit`).

:class:`OpenAIConversationProvider` (:mod:`.responses_api`, with :mod:`.responses_request` and
:mod:`.responses_stream`) answers conversation turns through the Responses API and its ``image_generation``
tool, on the same clients, error translation and retry policy.

The API key is never stored in plain sight: ``repr(provider)`` omits it and
every message is passed through :func:`brandkit.errors.redact` with the key as
an explicit secret.
"""

from __future__ import annotations

from brandkit.provider.openai.client import OpenAIProvider
from brandkit.provider.openai.errors import LocalParameterError
from brandkit.provider.openai.headers import RATE_LIMIT_RECORDS
from brandkit.provider.openai.plan import (
    DEFAULT_MODEL,
    MAX_INPUT_IMAGE_BYTES,
    MAX_INPUT_IMAGES,
    MAX_PROMPT_CHARS,
    RenderPlan,
    plan_render,
    worst_case_of_plan,
)
from brandkit.provider.openai.responses_api import OpenAIConversationProvider
from brandkit.provider.openai.transport import CONNECT_TIMEOUT_S, DEFAULT_TIMEOUT_S, WHOLE_BODY_MAX_BYTES
from brandkit.rate_limits import RateLimitInfo

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT_S",
    "MAX_INPUT_IMAGES",
    "MAX_INPUT_IMAGE_BYTES",
    "MAX_PROMPT_CHARS",
    "RATE_LIMIT_RECORDS",
    "WHOLE_BODY_MAX_BYTES",
    "LocalParameterError",
    "OpenAIConversationProvider",
    "OpenAIProvider",
    "RateLimitInfo",
    "RenderPlan",
    "plan_render",
    "worst_case_of_plan",
]
