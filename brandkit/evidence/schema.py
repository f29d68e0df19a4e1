"""The verification report's JSON Schema (``schemas/verification-report.schema.json``; a test fails on drift).

Regenerate with ``python -m brandkit.evidence.schema -o schemas/verification-report.schema.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from brandkit.atomic import atomic_write
from brandkit.evidence.models import VerificationReport

REPORT_SCHEMA_ID = "https://brandkit.dev/schemas/verification-report.schema.json"


def report_schema() -> dict[str, Any]:
    """The verification report's JSON Schema (draft 2020-12), of its JSON form (``model_dump(mode="json")``)."""
    schema = VerificationReport.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": REPORT_SCHEMA_ID, **schema}


def report_schema_json() -> str:
    """The schema as stable, pretty JSON text (what ``schemas/verification-report.schema.json`` holds)."""
    return json.dumps(report_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Print the schema, or write it atomically to ``-o PATH``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output", type=Path, help="write the schema here instead of printing it")
    args = parser.parse_args(argv)
    text = report_schema_json()
    if args.output is None:
        print(text, end="")
    else:
        atomic_write(args.output, text.encode("utf-8"))


if __name__ == "__main__":
    main()

__all__ = ["REPORT_SCHEMA_ID", "main", "report_schema", "report_schema_json"]
