"""The ``credentials`` check: does the image carry valid Content Credentials (C2PA)?

On ``validate`` it reads and validates the image's manifest store (offline; trust anchors from the kit's
``trust_anchors=`` or ``BRANDKIT_C2PA_TRUST_ANCHORS``): ``trusted`` and ``valid`` pass, ``invalid`` (with the
C2PA status codes) and ``absent`` fail. During generation the attempt's bytes are not the delivered file yet, so
it reports what the asset will carry: ``signed`` (a signer is configured: passes) or ``unsigned`` (fails).

The default policy is ``warn``: reported, never blocking. A spec that requires credentials sets another policy
(e.g. ``checks: {credentials: {policy: raise}}``); generation then refuses to start without a signer.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from brandkit.check_catalog import CheckDetails
from brandkit.checks.base import CheckContext, CheckInfo, result
from brandkit.models import CheckResult, CheckStatus

TRUST_RESOURCE = "credentials.trust_anchors"


class CredentialsDetails(CheckDetails):
    """``details`` of the credentials check: the store's state and, when it has an active manifest, who signed."""

    state: str | None = Field(
        default=None, description="absent, valid, trusted, invalid; signed_on_return / unsigned during generation."
    )
    content_credentials: str | None = None
    codes: list[str] = Field(default_factory=list, description="C2PA failure status codes.")
    message: str | None = None
    signer: str | None = None
    issuer: str | None = None
    claim_generator: str | None = None
    chain: list[str] | None = None
    digital_source_type: str | None = None


class CredentialsCheck:
    """Content Credentials present and valid (``trusted`` / ``valid`` pass; ``invalid`` / ``absent`` fail)."""

    info: ClassVar[CheckInfo] = CheckInfo.builtin("credentials", CredentialsDetails)
    name = info.name

    def run(self, ctx: CheckContext) -> CheckResult:
        """Validate the manifest store of ``ctx.data`` (or, during generation, say what the asset will carry)."""
        from brandkit.credentials.read import read_credentials

        on_return = ctx.expectation.credentials_on_return
        if on_return == "signed":
            return result(self.name, CheckStatus.passed, details={"state": "signed_on_return"})
        if on_return == "unsigned":
            return result(
                self.name,
                CheckStatus.failed,
                details={"state": "unsigned", "content_credentials": "unsigned"},
                hint="no signer configured: set BRANDKIT_C2PA_CERT and BRANDKIT_C2PA_KEY (docs/provenance.md)",
            )
        anchors = ctx.resources.get(TRUST_RESOURCE, lambda: None)
        found = read_credentials(ctx.data, anchors)
        details: dict[str, object] = {"state": found.state, "codes": found.codes}
        if found.message:
            details["message"] = found.message
        active = found.active
        if active is not None:
            details["signer"] = active.signer
            details["issuer"] = active.issuer
            details["claim_generator"] = active.claim_generator
            details["chain"] = [m.claim_generator or m.label for m in found.chain]
            source = next(
                (a.digital_source_type for m in found.chain for a in m.actions if a.digital_source_type), None
            )
            details["digital_source_type"] = source
        if found.state in ("trusted", "valid"):
            return result(self.name, CheckStatus.passed, details=details)
        if found.state == "absent":
            return result(
                self.name,
                CheckStatus.failed,
                details=details,
                hint="the image carries no Content Credentials: sign it (docs/provenance.md)",
            )
        return result(
            self.name,
            CheckStatus.failed,
            details=details,
            hint="the Content Credentials do not validate (the file changed after signing, or a bad signature): "
            + ", ".join(found.codes),
        )
