"""A check that fails every image, so no attempt can pass: for the paths a request whose checks fail on every attempt
takes (the best attempt kept, the error reported), with the local renderer and no slow check."""

from __future__ import annotations

from typing import ClassVar

from brandkit.check_catalog import CheckDetails
from brandkit.checks.base import CheckContext, CheckInfo, result
from brandkit.models import CheckResult, CheckStatus


class NeverPasses:
    """The ``never`` check: failed on every image, under the ``regenerate`` policy."""

    info: ClassVar[CheckInfo] = CheckInfo(name="never", default_policy="regenerate", details_model=CheckDetails)
    name = info.name

    def run(self, ctx: CheckContext) -> CheckResult:
        """Fail ``ctx.image``, whatever it shows."""
        return result(self.name, CheckStatus.failed, hint="this check fails every image")
