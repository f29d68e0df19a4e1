"""The pipeline's parts (``brandkit.pipeline`` is their public face and re-exports them).

* :mod:`.effects` — the effects a flow yields (``Render``, ``Moderate``, ``Compute``), ``KitContext`` and the
  two drivers ``run_sync`` / ``run_async``.
* :mod:`.steps` — the shared steps of one image: what the checks expect, moderation, checks, overlay, the
  evaluation of a provider image and the deterministic fix.
* :mod:`.attempt` — the repair loop (``attempt_flow``) and the generate and edit flows on top of it.
* :mod:`.validate` — the validate flow and the expectation rebuilt from an image's provenance.

Only ``brandkit.pipeline`` (and through it ``kit``) imports this package; it imports nothing here itself.
"""
