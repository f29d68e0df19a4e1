"""The OpenAI Batch engine: image requests through the Batch API, at half price.

A package: :mod:`.provider` (the :class:`OpenAIBatchProvider` class and its state), :mod:`.lines` (each
request's JSONL line, what a batch can carry), :mod:`.answers` (batch status, downloaded files, each answer).

:class:`OpenAIBatchProvider` is an :class:`~brandkit.provider.base.ImageProvider` whose ``arender``
does not call ``/v1/images/*`` directly. It gathers the render calls of many concurrent flows (every
variant of a run waits on its own call) and sends them as one batch:

1. **plan** — each call is checked locally exactly as the live provider checks it
   (:func:`~brandkit.provider.openai.plan_render` with ``transport="batch"``), plus the Batch rules: an edit
   travels as the JSON form of ``/v1/images/edits`` (``images: [{"file_id": …}]``), whose ``size`` must be
   ``auto``, ``1024x1024``, ``1536x1024`` or ``1024x1536`` (``EditImageBodyJsonParam`` in the API description),
   and which takes ``moderation`` (the multipart form does not); no Batch body has ``safety_identifier``, so
   it travels as ``user`` (with a logged note; see :mod:`brandkit.provider.openai_params`).
   A bad call raises :class:`~brandkit.provider.openai.LocalParameterError` before anything is sent.
2. **upload references** — every input image (logo references, the image to edit, a mask) is uploaded
   once through the Files API (``purpose="vision"``) and referenced by ``file_id``; identical bytes are
   uploaded once per run (by SHA-256).
3. **gather and submit** — calls arriving within ``gather_s`` of each other (at most ``max_gather_s``
   in all) go into one JSONL file per endpoint (``/v1/images/generations`` or ``/v1/images/edits``; at
   most 50,000 lines and 190 MB a file), written to ``work_dir`` and uploaded with ``purpose="batch"``;
   then the batch is created (``completion_window="24h"``).
4. **poll** — ``batches.retrieve`` every ``poll_interval_s`` (growing to ``max_poll_interval_s``) until
   the batch is ``completed``, ``failed``, ``expired`` or ``cancelled``; ``on_status`` hears each change.
5. **download** — the output and error files are streamed to ``work_dir`` (never held in memory) and
   indexed by ``custom_id``; each waiting call reads only its own line and parses it as the live provider
   parses an answer (:meth:`~brandkit.provider.openai.OpenAIProvider.images_result`, billed at Batch
   prices) or maps its error (:meth:`~brandkit.provider.openai.OpenAIProvider.status_error`). A request
   the batch did not answer raises :class:`~brandkit.errors.BatchIncompleteError`.

Retries: a request whose line failed transiently (5xx, 429, ``batch_expired``) goes into the next batch
under a new ``custom_id`` (``max_line_tries`` in all); HTTP calls (upload, create, poll, download) are
retried by the provider's :class:`~brandkit.provider.retry.RetryPolicy`. Checks, repairs and fixes run
locally as with the live engine: a regeneration with feedback is simply another call, which goes into a
later batch.

**Exactly once.** Each request's ``custom_id`` is derived from its content (endpoint, body with image
digests instead of file ids, seed, attempt, try), so the same request of a resumed run has the same id.
``state_path`` (a JSONL journal, fsynced line by line) records every uploaded reference, every batch
about to be created (with its input file and ``custom_id`` s) and every batch created. A resumed run
re-attaches to the batch that holds a request instead of submitting it again; a crash between creating
a batch and recording it is recovered by finding the batch that uses the recorded input file
(``batches.list``). Interrupting a run never cancels a batch: resume it.

**Memory.** ``delivery_slots`` bounds how many answered requests are being turned into images and checked
at once (each answer is read from disk when its slot is free); :meth:`release_delivery` gives a slot back
when a caller has finished with an answer (the variant runner does this after saving a variant), and a
new render call from the same task gives it back too.

Moderation is not batched: ``moderate``/``amoderate`` use ``moderator`` (by default the live
provider's omni-moderation, which is free).
"""

from __future__ import annotations

from brandkit.provider.openai_batch.lines import (
    BATCH_ENDPOINTS,
    JSON_EDIT_SIZES,
    MAX_BATCH_FILE_BYTES,
    MAX_BATCH_REQUESTS,
    TERMINAL_STATUSES,
    BatchStatus,
    batch_line,
    check_batchable,
)
from brandkit.provider.openai_batch.provider import OpenAIBatchProvider

__all__ = [
    "BATCH_ENDPOINTS",
    "JSON_EDIT_SIZES",
    "MAX_BATCH_FILE_BYTES",
    "MAX_BATCH_REQUESTS",
    "TERMINAL_STATUSES",
    "BatchStatus",
    "OpenAIBatchProvider",
    "batch_line",
    "check_batchable",
]
