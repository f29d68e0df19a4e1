"""The asset request of ``compile``, ``generate`` and ``chat``: ``--request FILE`` and the options that override it.

``--request FILE`` is an :class:`~brandkit.models.AssetRequest` as JSON or YAML (the ``asset-request`` schema:
``brandkit spec schema --of asset-request``) — every field the SDK takes, reference images and policies included;
its reference paths are relative to the file. An option given on the command line replaces the file's field
(``--headline``, ``--format``…; ``--reference`` and ``--disclaimer`` replace the whole list). Without a file, the
options are the request, and ``--brief`` is required.

``--reference [ROLE=]PATH`` adds a reference image (a product shot, a style reference): the role is ``product``
unless it names another (``style=moodboard.png``; ``product``, ``style``, ``logo``, ``other``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from brandkit.cli.common import Cta, Disclaimer, Headline, Subhead
from brandkit.errors import RequestError, RequestValidationError

__all__ = ["RequestOptions", "asset_request", "edit_request", "parse_reference", "with_request_options"]

MAX_REQUEST_BYTES = 1024 * 1024
"""The largest ``--request`` file read (a request is a few hundred bytes; references are paths, not images)."""

BriefOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--brief", "-b", help="What the image should show (required unless --request gives it)."),
]
FormatOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--format", "-f", help="Format name from the spec (default: square)."),
]
BackgroundOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--background", help="light, dark or auto (default)."),
]
RequestFileOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--request",
        help="An asset request as JSON or YAML (every SDK field; schema: brandkit spec schema --of asset-request); "
        "options given on the command line replace its fields.",
    ),
]
ReferenceOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--reference",
        help="A reference image, [ROLE=]PATH: role product (default), style, logo or other (repeatable).",
    ),
]
QualityOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--quality", help="low, medium, high or auto (default: the spec's)."),
]
LocaleOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--locale", help="Locale of the copy: the spec's required legal lines for it (required.locales)."),
]
LogoVariantOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--logo-variant", help="The spec's logo variant to use (default: chosen for the background)."),
]

_ROLES = ("product", "style", "logo", "other")


def parse_reference(text: str, base: Path | None = None) -> dict[str, Any]:
    """One ``--reference`` value as a reference input's fields: ``[ROLE=]PATH`` (a text before ``=`` that is not
    a role is part of the path); a relative path is taken from ``base`` when given."""
    role, sep, rest = text.partition("=")
    if sep and role in _ROLES:
        path = rest
    else:
        role, path = "product", text
    if not path:
        raise RequestError(f"--reference {text!r}: no file given", field="references", value=text)
    return {"path": _from(base, path), "role": role}


def _from(base: Path | None, path: str) -> str:
    """``path``, taken from ``base`` when it is relative and a base is given."""
    return path if base is None or Path(path).is_absolute() else str(base / path)


def _request_file(file: Path) -> dict[str, Any]:
    """The fields of a ``--request`` file; its relative reference paths made relative to the current folder."""
    from brandkit.documents import read_document

    data = read_document(
        file, max_bytes=MAX_REQUEST_BYTES, what="request", error=lambda m: RequestError(m, field="request")
    )
    if not isinstance(data, dict):
        raise RequestError(
            f"{file}: a request is a mapping of fields (brief or instruction, headline, format…), not "
            f"{type(data).__name__}",
            field="request",
            value=str(file),
        )
    references = data.get("references")
    if isinstance(references, list):
        data["references"] = [_file_reference(item, file.parent) for item in references]
    return data


def _file_reference(item: Any, base: Path) -> Any:
    """A reference of a request file with its path taken from the file's folder (other shapes: as given, for the
    request model to refuse naming the field)."""
    if isinstance(item, str):
        return parse_reference(item, base)
    if isinstance(item, dict) and isinstance(item.get("path"), str):
        return {**item, "path": _from(base, item["path"])}
    return item


def asset_request(request_file: Path | None, **given: Any) -> Any:
    """The :class:`~brandkit.models.AssetRequest` of ``--request FILE`` and the options ``given`` (``None`` or an
    empty list: not given; a given option replaces the file's field). A bad field raises
    :class:`~brandkit.RequestValidationError` naming it (and the file when it came from there)."""
    from brandkit.models import AssetRequest

    return _merged(AssetRequest, request_file, ("brief", "--brief"), given)


def edit_request(request_file: Path | None, **given: Any) -> Any:
    """The :class:`~brandkit.models.EditRequest` of ``edit --request FILE`` and the options ``given``, as
    :func:`asset_request` builds an asset request (``instruction`` required from one or the other)."""
    from brandkit.models import EditRequest

    return _merged(EditRequest, request_file, ("instruction", "--instruction"), given)


def _merged(model: type[Any], request_file: Path | None, required: tuple[str, str], given: dict[str, Any]) -> Any:
    data = _request_file(request_file) if request_file is not None else {}
    from_file = set(data)
    for name, value in given.items():
        if value is None or value == []:
            continue
        data[name] = [parse_reference(v) for v in value] if name == "references" else value
        from_file.discard(name)
    field, option = required
    if not data.get(field):
        where = f" (none in {request_file})" if request_file is not None else ""
        raise RequestError(f"{field}: give {option} or {field} in --request FILE{where}", field=field)
    try:
        return model(**data)
    except RequestValidationError as exc:
        top = (exc.field or "").split(".")[0].split("[")[0]
        if request_file is None or top not in from_file:
            raise
        raise RequestValidationError(
            f"{request_file}: {exc}", field=exc.field, value=exc.value, problems=exc.problems
        ) from None


@dataclass(frozen=True)
class RequestOptions:
    """The request options of a command (:func:`with_request_options`), as given (``None``: not given)."""

    request_file: RequestFileOpt = None
    brief: BriefOpt = None
    headline: Headline = None
    subhead: Subhead = None
    cta: Cta = None
    format: FormatOpt = None
    disclaimers: Disclaimer = None
    background: BackgroundOpt = None
    references: ReferenceOpt = None
    quality: QualityOpt = None
    locale: LocaleOpt = None
    logo_variant: LogoVariantOpt = None

    def request(self, **more: Any) -> Any:
        """The :class:`~brandkit.models.AssetRequest` of these options and ``more`` (a command's own: ``n``,
        ``seed``, ``output_format``…; ``None``: not given) — :func:`asset_request`."""
        given = {name: value for name, value in asdict(self).items() if name != "request_file"}
        return asset_request(self.request_file, **given, **more)


_Command = TypeVar("_Command", bound=Callable[..., Any])


def with_request_options(command: _Command) -> _Command:
    """Give ``command`` (a typer command with an ``options: RequestOptions`` parameter) the request options — the
    fields of :class:`RequestOptions`, after its first parameter (the spec) — and call it with them gathered in
    ``options``: one list of options for ``compile``, ``generate`` and ``chat``."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "options"]
    hints = inspect.get_annotations(RequestOptions, eval_str=True)
    names = [f.name for f in fields(RequestOptions)]
    added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hints[n]) for n in names]

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        options = RequestOptions(**{name: kwargs.pop(name) for name in list(kwargs) if name in names})
        return command(*args, options=options, **kwargs)

    keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    run.__signature__ = signature.replace(parameters=[*keyword[:1], *added, *keyword[1:]])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in run.__signature__.parameters.values()}  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]
