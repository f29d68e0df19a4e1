"""``brandkit provenance``: show an image's provenance chain; make a throw-away test signer.

Registered by :func:`brandkit.cli._register_extra_commands`; the work is in :mod:`brandkit.credentials`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

provenance_app = typer.Typer(
    help="Content Credentials (C2PA): show an image's provenance chain, make a test signer. See docs/provenance.md.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _print_chain(chain: dict[str, Any]) -> None:
    from brandkit.cli.common import esc, make_console

    console = make_console()
    state = chain["content_credentials"]
    colour = {"trusted": "green", "valid": "green", "invalid": "red"}.get(state, "yellow")
    console.print(f"[bold]{esc(chain['file'])}[/]: Content Credentials [bold {colour}]{state}[/]", markup=True)
    if chain["codes"]:
        console.print(f"  status codes: {', '.join(chain['codes'])}", markup=False)
    if chain["message"]:
        console.print(f"  {chain['message']}", markup=False)
    for number, step in enumerate(chain["steps"], 1):
        who = step["signer"] or "?"
        console.print(
            f"{number}. {step['kind']}: {step['claim_generator'] or '?'} (signed by {who}, {step['issuer']})",
            markup=False,
        )
        for action in step["actions"]:
            extra = [action.get(k) for k in ("software_agent", "digital_source_type", "description") if action.get(k)]
            console.print(f"   - {action['action']}" + (f": {'; '.join(extra)}" if extra else ""), markup=False)
    if chain["spec"]:
        spec = chain["spec"]
        console.print(
            f"spec: {spec.get('name')} {spec.get('version')} ({spec.get('fingerprint')}), "
            f"prompt {chain['prompt_hash']}, attempt {chain['attempt']}, fixes {chain['fixes'] or 'none'}"
        )
    for name, check in (chain["checks"] or {}).items():
        score = check.get("score")
        console.print(
            f"   check {name}: {check.get('status')}" + (f" (score {score:.3g})" if score is not None else "")
        )
    if chain["review"]:
        review = chain["review"]
        console.print(
            f"review: {review.get('decision')} by {review.get('reviewer', '?')} {review.get('decided_at', '')}"
        )
    embedded = chain["embedded_record"]
    console.print(
        f"embedded brandkit record: {embedded['status']}" + (f" ({embedded['reason']})" if embedded["reason"] else "")
    )
    sidecar = chain["sidecar"]
    if sidecar is not None:
        provider = (sidecar["credentials"] or {}).get("provider_manifest")
        edited = (sidecar["credentials"] or {}).get("edited_from")
        if edited:  # an edit: the asset it was made from
            console.print(
                f"edited from ({edited.get('kept_as')}): sha256 {str(edited.get('image_sha256'))[:16]}…, its "
                f"credentials {edited.get('state')}",
                markup=False,
            )
        if provider:
            console.print(
                f"provider manifest ({provider.get('kept_as')}): {provider.get('state')}, "
                f"{provider.get('claim_generator')}, {provider.get('software_agent')}"
            )
        elif sidecar["note"]:
            console.print(sidecar["note"])


def register(app: typer.Typer) -> None:
    """Add the ``provenance`` command group to ``app``."""
    app.add_typer(provenance_app, name="provenance")


@provenance_app.command("show")
def show_cmd(
    image: Annotated[Path, typer.Argument(help="A PNG, JPEG or WebP image.")],
    trust_anchors: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--trust-anchors", help="PEM CA certificates to trust (default: $BRANDKIT_C2PA_TRUST_ANCHORS)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Print the chain model → brandkit steps → checks → review, from the file's Content Credentials (validated,
    offline), its embedded brandkit record and its sidecar. Exit 0 when the credentials are valid or trusted,
    1 when they are invalid or absent, 2 when the file cannot be read."""
    from brandkit.cli.common import EXIT_CHECKS, emit_json, map_errors
    from brandkit.credentials.show import provenance_chain
    from brandkit.credentials.signer import resolve_trust_anchors

    with map_errors(json_out):
        anchors = resolve_trust_anchors(trust_anchors)
        chain = provenance_chain(image, anchors)
        ok = chain["content_credentials"] in ("valid", "trusted")
        if json_out:
            emit_json({"ok": ok, **chain})
        else:
            _print_chain(chain)
        if not ok:
            raise typer.Exit(EXIT_CHECKS)


@provenance_app.command("make-test-signer")
def make_test_signer_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder for signer.pem, signer.key and signer-ca.pem.")],
    algorithm: Annotated[str, typer.Option("--algorithm", help="es256 (P-256), es384 or ps256 (RSA).")] = "es256",
    name: Annotated[str, typer.Option("--name", help="Common name of the signer.")] = "brandkit test signer",
    json_out: JsonOpt = False,
) -> None:
    """Make a throw-away test CA and a signer it issued (offline), for trying signing and verification.

    Never publish what it signs: nobody trusts this CA but you (pass signer-ca.pem as trust anchors).
    Existing files are never replaced.
    """
    from brandkit.atomic import atomic_write_all
    from brandkit.cli.common import emit_json, make_console, map_errors
    from brandkit.credentials.devcert import make_chain
    from brandkit.errors import RequestError

    with map_errors(json_out):
        if algorithm not in ("es256", "es384", "ps256"):
            raise RequestError(
                f"--algorithm {algorithm!r}: use es256, es384 or ps256", field="algorithm", value=algorithm
            )
        chain = make_chain(name, algorithm=algorithm)
        cert, key, ca = folder / "signer.pem", folder / "signer.key", folder / "signer-ca.pem"
        items = [(cert, chain.chain_pem), (key, chain.key_pem), (ca, chain.ca_pem)]
        atomic_write_all(items, overwrite=False, mode=0o600)  # the key is never readable by others, not even briefly
        key.chmod(0o600)
        paths = {"cert": str(cert), "key": str(key), "trust_anchors": str(ca), "algorithm": algorithm}
        if json_out:
            emit_json({"ok": True, **paths})
        else:
            console = make_console()
            console.print(f"test signer written to {folder} ({algorithm}); to sign and verify:", markup=False)
            console.print(f"  export BRANDKIT_C2PA_CERT={cert} BRANDKIT_C2PA_KEY={key}", markup=False)
            console.print(f"  export BRANDKIT_C2PA_TRUST_ANCHORS={ca}", markup=False)
