"""Fuzzing the brand spec loader: whatever a spec holds, the answer is a BrandSpec or a SpecError.

Two entry points are fuzzed:

* :func:`brandkit.spec.loader.spec_from_data` with random JSON-like shapes, wrong types, huge and odd values
  (in place of any field of a valid spec, or as the whole document);
* :func:`brandkit.load_spec` with files: random text and bytes, byte-level mutations of a valid ``brand.yaml``,
  odd Unicode written as YAML and as JSON (including lone surrogates, which only JSON can carry), invalid
  YAML, deep nesting, alias bombs ("billion laughs"), files over the size limit, unhashable YAML keys,
  NUL bytes in asset paths.

Every example must end in a :class:`~brandkit.BrandSpec` or a :class:`~brandkit.SpecError` (never another
exception), with a message that names the file. The cases that could hang or eat memory run in a child
process with a time limit and an address-space limit, so a regression fails the test instead of taking the
suite down. No example has a deadline (a loaded machine is slow, not wrong): the work is bounded by counts —
bytes parsed, message length — and ``benchmarks/bench_spec_load.py`` measures the time.

``BRANDKIT_FUZZ_EXAMPLES=<n>`` scales the example counts (default 1 = the CI budget); ``BRANDKIT_FUZZ_RANDOM=1``
draws new examples instead of the derandomized, reproducible default.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brandkit
from brandkit.errors import SpecError
from brandkit.spec.loader import MAX_SPEC_BYTES, load_spec, spec_from_data

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
BASE: dict[str, Any] = yaml.safe_load((NORTHWIND / "brand.yaml").read_text(encoding="utf-8"))
BASE_TEXT = (NORTHWIND / "brand.yaml").read_text(encoding="utf-8")

SCALE = max(1, int(os.environ.get("BRANDKIT_FUZZ_EXAMPLES", "1")))
FUZZ = settings(
    max_examples=60 * SCALE,
    deadline=None,  # no wall-clock assertion (see the module docstring)
    derandomize=os.environ.get("BRANDKIT_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)

pytestmark = pytest.mark.timeout(120)


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

ODD_CHARS = [
    "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00a0", "\u2009", "\u0301", "\u0000", "\x7f", "\x1b[31m",
    "Ｆｕｌｌ", "ⅷ", "ß", "İ", "ǅ", "\U0001f600", "\U0001f1fa\U0001f1f8", "👩‍👩‍👧", "𝔣𝔯𝔢𝔢",
    "\u0645\u0631\u062d\u0628\u0627",
    "\n", "\r\n", "\t", "'", '"', "\\", "{", "}", "[", "]", ":", "#", "&a", "*a", "!!python/object", "%", "|", ">",
    "~", "null", "yes", "no", "0x1F", "1e999", "-.inf", ".nan", "2001-01-01", "<<", "---", "...",
]  # fmt: skip

odd_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(ODD_CHARS), max_size=8).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.integers(min_value=1, max_value=200_000).map(lambda n: "x" * n),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)

json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(sorted(BASE))), children, max_size=6),
    ),
    max_leaves=30,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (mapping keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


BASE_PATHS = _paths(BASE)


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        data = data[part]
    del data[path[-1]]


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    """The valid Northwind spec with one to three fields replaced, deleted or added."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        try:
            if action == "replace":
                _set(data, path, draw(json_like))
            elif action == "delete":
                _delete(data, path)
            else:
                parent = data
                for part in path[:-1]:
                    parent = parent[part]
                if isinstance(parent, dict):
                    parent[draw(st.text(min_size=1, max_size=10))] = draw(json_like)
                elif isinstance(parent, list):
                    parent.append(draw(json_like))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation changed the shape under this path
    return data


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _check_error(exc: SpecError, source: str) -> None:
    """A SpecError must name its source, and every issue must be printable and JSON-friendly."""
    text = str(exc)
    assert source in text, text[:300]
    for issue in exc.issues:
        assert issue.file == source
        assert isinstance(issue.location, str) and isinstance(issue.message, str) and issue.message
        json.dumps(issue.as_dict())
        assert len(str(issue)) < 2000


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Northwind folder (fonts, logos) where fuzzed spec files are written beside brand.yaml."""
    folder = tmp_path_factory.mktemp("fuzz-spec") / "northwind"
    shutil.copytree(NORTHWIND, folder)
    return folder


_counter = iter(range(10**9))


def _write(folder: Path, content: str | bytes, suffix: str = ".yaml") -> Path:
    path = folder / f"case-{next(_counter)}{suffix}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return path


def _load_file(path: Path) -> brandkit.BrandSpec | None:
    """load_spec(path): the spec, or None for a SpecError that names the file; anything else fails the test."""
    try:
        spec = load_spec(path)
    except SpecError as exc:
        _check_error(exc, str(path))
        return None
    finally:
        path.unlink(missing_ok=True)
    assert spec.fingerprint and len(spec.fingerprint) == 64
    return spec


# --------------------------------------------------------------------------------------------
# spec_from_data: shapes
# --------------------------------------------------------------------------------------------


@FUZZ
@given(data=json_like)
def test_any_document_shape_is_a_spec_or_a_spec_error(data: Any) -> None:
    try:
        spec = spec_from_data(data, source="fuzz.yaml")
    except SpecError as exc:
        _check_error(exc, "fuzz.yaml")
        return
    assert isinstance(spec, brandkit.BrandSpec)


@FUZZ
@given(data=mutated_specs())
def test_a_valid_spec_with_broken_fields_is_a_spec_or_a_spec_error(data: dict[str, Any]) -> None:
    try:
        spec = spec_from_data(data, source="mutated.yaml")
    except SpecError as exc:
        _check_error(exc, "mutated.yaml")
        assert exc.issues or "mutated.yaml" in str(exc)
        return
    assert spec.name and spec.palette.colors  # a result that passed validation is a usable spec


@FUZZ
@given(
    field=st.sampled_from(["name", "description", "version"]),
    color_name=odd_text,
    term=odd_text,
    value=odd_text,
)
def test_odd_unicode_in_text_fields(field: str, color_name: str, term: str, value: str) -> None:
    data = copy.deepcopy(BASE)
    data[field] = value
    data["palette"]["colors"][0]["name"] = color_name
    data["forbidden"]["terms"].append(term)
    try:
        spec = spec_from_data(data, source="unicode.yaml")
    except SpecError as exc:
        _check_error(exc, "unicode.yaml")
        return
    assert getattr(spec, field) == value  # kept verbatim, never silently altered
    assert spec.palette.colors[0].name == color_name


def test_wrong_types_name_the_field_and_value() -> None:
    data = copy.deepcopy(BASE)
    data["palette"]["colors"][1]["hex"] = 123456
    data["formats"]["square"]["width"] = "wide"
    data["repair"]["max_attempts"] = 10**30
    with pytest.raises(SpecError) as info:
        spec_from_data(data, source="types.yaml")
    where = {issue.location: issue for issue in info.value.issues}
    assert set(where) == {"palette.colors[1].hex", "formats.square.width", "repair.max_attempts"}
    assert where["palette.colors[1].hex"].value == 123456 and "'wide'" in str(info.value)


@pytest.mark.parametrize("depth", [1_500, 20_000])
def test_deeply_nested_data_is_a_spec_error(depth: int) -> None:
    """spec_from_data is public: a caller may hand it data parsed by another reader, nested deeper than
    Python's recursion limit. BUG (brandkit/errors.py::_short_repr): the error message is built with a full
    ``repr()`` of the bad value, which raises RecursionError here instead of SpecError."""
    nested: Any = "leaf"
    for _ in range(depth):
        nested = [nested]
    with pytest.raises(SpecError) as info:
        spec_from_data({**BASE, "description": nested}, source="deep.yaml")
    assert "description" in str(info.value)
    assert len(str(info.value)) < 5_000  # the value is shown shortened, not walked whole


def test_huge_values_are_refused_quickly() -> None:
    data = copy.deepcopy(BASE)
    data["name"] = "N" * 5_000_000
    data["version"] = 10**4000
    data["palette"]["tolerance"] = float("inf")
    with pytest.raises(SpecError) as info:
        spec_from_data(data, source="huge.yaml")
    assert len(str(info.value)) < 5_000  # values are shown shortened, not 5 MB of 'N'
    assert {issue.location for issue in info.value.issues} == {"name", "version", "palette.tolerance"}


def test_many_palette_colours_within_the_size_limit_load_in_linear_time(spec_dir: Path) -> None:
    """BUG (brandkit/spec/models.py::Palette._unique, and BrandSpec._cross_checks for logo variants): duplicate
    names are found with ``names.count(n)`` for every name, O(n²). A 1 MB spec with 20,000 colours (well under
    the 2 MB limit) takes 12 s of CPU to validate (5,000: 0.7 s; 40,000, still under the limit: ~50 s).
    Fix: ``collections.Counter`` (O(n)). The time it takes is measured by ``benchmarks/bench_spec_load.py``
    (no wall-clock assertion in tests); here: the spec loads, whole."""
    data = copy.deepcopy(BASE)
    data["palette"]["colors"] = [{"name": f"c{i}", "hex": "#4B2E2A", "role": "primary"} for i in range(20_000)]
    path = _write(spec_dir, json.dumps(data, separators=(",", ":")), ".json")
    assert path.stat().st_size < MAX_SPEC_BYTES
    try:
        spec = load_spec(path)
    except SpecError as exc:
        _check_error(exc, str(path))
    else:
        assert len(spec.palette.colors) == 20_000


# --------------------------------------------------------------------------------------------
# load_spec: files
# --------------------------------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text_file(spec_dir: Path, text: str) -> None:
    _load_file(_write(spec_dir, text))


@FUZZ
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".yml", ".json"]))
def test_random_bytes_file(spec_dir: Path, blob: bytes, suffix: str) -> None:
    _load_file(_write(spec_dir, blob, suffix))


@st.composite
def yaml_mutations(draw: st.DrawFn) -> str:
    """brand.yaml with a few character-level edits: deletions, insertions of YAML syntax, duplications."""
    text = BASE_TEXT
    rng = random.Random(draw(st.integers(min_value=0, max_value=2**32)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = rng.randrange(len(text))
        op = rng.choice(["delete", "insert", "duplicate", "indent"])
        if op == "delete":
            text = text[:at] + text[at + rng.randint(1, 40) :]
        elif op == "insert":
            text = text[:at] + rng.choice(ODD_CHARS) + text[at:]
        elif op == "duplicate":
            end = min(len(text), at + rng.randint(1, 200))
            text = text[:end] + text[at:end] + text[end:]
        else:
            line_start = text.rfind("\n", 0, at) + 1
            text = text[:line_start] + " " * rng.randint(1, 3) + text[line_start:]
    return text


@FUZZ
@given(text=yaml_mutations())
def test_mutated_brand_yaml(spec_dir: Path, text: str) -> None:
    _load_file(_write(spec_dir, text))


@FUZZ
@given(name=odd_text, term=odd_text, as_json=st.booleans())
def test_odd_unicode_round_trips_through_files(spec_dir: Path, name: str, term: str, as_json: bool) -> None:
    data = copy.deepcopy(BASE)
    data["name"] = name
    data["forbidden"]["terms"] = [term]
    if as_json:
        path = _write(spec_dir, json.dumps(data, ensure_ascii=True), ".json")
    else:
        try:
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        except yaml.YAMLError:
            return  # PyYAML cannot write it; nothing for the loader to read
        path = _write(spec_dir, text)
    spec = _load_file(path)
    if spec is not None:
        assert spec.name == name and spec.forbidden.terms == [term]


@pytest.mark.parametrize(
    "text, expect",
    [
        ("name: [unclosed\n", "invalid YAML at line"),
        ("name: x\n  bad: indent\n", "invalid YAML"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("!!python/object/apply:os.system ['touch /tmp/pwned']\n", "could not determine a constructor"),
        ("name: !!binary AAAA\n", "name"),
        ("---\na: 1\n---\nb: 2\n", "another document"),
        ("", "top level must be a mapping"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("\ufeffname: x\n", "invalid brand spec"),
        ("name: x\tx\n\t- y\n", "invalid YAML"),
        ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
        ("a: " + "{a: " * 20_000 + "1" + "}" * 20_000, "nested too deeply"),
        ("a: &a [*a]\n", "invalid brand spec"),  # a self-referencing alias
    ],
    ids=lambda value: repr(value)[:24],
)
def test_invalid_yaml_is_a_spec_error_naming_the_file(spec_dir: Path, text: str, expect: str) -> None:
    path = _write(spec_dir, text)
    with pytest.raises(SpecError, match=None) as info:
        load_spec(path)
    assert str(path) in str(info.value) and expect in str(info.value)


def test_deeply_nested_json_is_a_spec_error(spec_dir: Path) -> None:
    path = _write(spec_dir, '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", ".json")
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec(path)


def test_invalid_json_names_line_and_column(spec_dir: Path) -> None:
    path = _write(spec_dir, '{"name": "x",\n  "palette": }', ".json")
    with pytest.raises(SpecError, match=r"invalid JSON at line 2, column 14"):
        load_spec(path)


def test_non_utf8_is_a_spec_error(spec_dir: Path) -> None:
    path = _write(spec_dir, "name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not UTF-8 text"):
        load_spec(path)


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the YAML documents brandkit parses (and the characters handed to the parser)."""
    import brandkit.documents

    parsed: list[int] = []
    real = brandkit.documents.yaml.load

    def counting(text: str, Loader: Any) -> Any:
        parsed.append(len(text))
        return real(text, Loader=Loader)

    monkeypatch.setattr(brandkit.documents.yaml, "load", counting)
    return parsed


def test_file_over_the_size_limit_is_refused_before_parsing(spec_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(spec_dir, BASE_TEXT + "#" + "x" * MAX_SPEC_BYTES + "\n")
    parsed = _count_parses(monkeypatch)
    with pytest.raises(SpecError, match="larger than the 2,097,152-byte limit"):
        load_spec(path)
    assert parsed == []  # refused from its size: not a byte parsed


def test_file_just_under_the_limit_loads(spec_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    filler = ("# " + "x" * 97 + "\n") * ((MAX_SPEC_BYTES - len(BASE_TEXT.encode()) - 200) // 100)
    path = _write(spec_dir, BASE_TEXT + filler)
    assert path.stat().st_size < MAX_SPEC_BYTES
    parsed = _count_parses(monkeypatch)
    spec = load_spec(path)
    assert spec.name == "Northwind Coffee"
    assert parsed == [len(path.read_text(encoding="utf-8"))]  # parsed once, whole (slow or not: no timing here)


def test_spec_path_that_is_a_folder_without_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no brand spec found"):
        load_spec(tmp_path)
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "missing.yaml")
    (tmp_path / "brand.txt").write_text("name: x")
    with pytest.raises(SpecError, match="must be a .yaml"):
        load_spec(tmp_path / "brand.txt")


def test_unhashable_yaml_keys_are_a_spec_error(spec_dir: Path) -> None:
    """BUG (brandkit/documents.py::_construct_mapping, shared by specs and variant plans): a complex YAML key
    (``? [a, b]``, ``{[1]: 2}``) is a list or dict; ``key in mapping`` raises TypeError ('unhashable type'),
    which escapes load_spec."""
    for text in ("? [a, b]\n: c\n", "{[1]: 2}\n", "name: x\n? {a: 1}\n: c\n"):
        path = _write(spec_dir, text)
        with pytest.raises(SpecError) as info:
            load_spec(path)
        assert str(path) in str(info.value)


def test_nul_byte_in_an_asset_path_is_a_spec_error(spec_dir: Path) -> None:
    """BUG (brandkit/spec/loader.py::resolve_asset): ``Path.resolve`` raises ValueError('embedded null byte')
    for an asset path holding NUL; resolve_asset catches OSError and RuntimeError only, so ValueError escapes."""
    data = copy.deepcopy(BASE)
    data["logos"][0]["file"] = "logos/northwind-primary.png\x00.txt"
    path = _write(spec_dir, json.dumps(data), ".json")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "logos[0].file" in str(info.value)


# --------------------------------------------------------------------------------------------
# Alias bombs and other resource attacks, run in a child process with limits
# --------------------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    limit = int(sys.argv[2]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from brandkit.errors import BrandkitError
    from brandkit.spec.loader import load_spec
    started = time.perf_counter()
    chars = None
    try:
        load_spec(sys.argv[1])
        outcome = "ok"
    except BrandkitError as exc:
        chars = len(str(exc))
        outcome = type(exc).__name__ + ": " + str(exc)[:300]
    except BaseException as exc:  # what the test is looking for: anything untyped
        outcome = "UNTYPED " + type(exc).__name__ + ": " + str(exc)[:300]
    print(json.dumps({"outcome": outcome, "message_chars": chars, "seconds": time.perf_counter() - started}))
    """
)


def run_limited(path: Path, timeout_s: float = 10.0, memory_mb: int = 1536) -> dict[str, Any]:
    """load_spec(path) in a child process with a wall-clock and an address-space limit."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(memory_mb)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": f"HANG: no answer within {timeout_s} s", "seconds": timeout_s}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"outcome": f"CRASH rc={proc.returncode}: {proc.stderr[-500:]}", "seconds": None}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def billion_laughs(levels: int, where: str = "description") -> str:
    """A YAML alias bomb: ``levels`` levels of 9 references each (9**levels leaves from a few hundred bytes)."""
    lines = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    head = BASE_TEXT.replace("description: >-", "old_description: >-")
    return head + f"\n{where}:\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["description", "x_unknown_field"])
def test_billion_laughs_alias_bomb_is_refused_quickly_with_bounded_memory(spec_dir: Path, where: str) -> None:
    """BUG (brandkit/errors.py::_short_repr, used by SpecIssue.__str__): PyYAML shares aliased nodes, so
    parsing the bomb is cheap, and pydantic refuses the value at once; but the SpecError message is built with
    a full ``repr()`` of the bad value before it is cut to 80 characters. With 9 levels that is 9**9 = 387
    million strings: minutes of CPU and gigabytes of memory (the child below hits its 1.5 GB limit or the time
    limit). Measured in-process: 7 levels 0.7 s, 8 levels 6 s, each level x9."""
    path = spec_dir / f"bomb-{where}.yaml"
    path.write_text(billion_laughs(9, where), encoding="utf-8")
    assert path.stat().st_size < len(BASE_TEXT.encode("utf-8")) + 1_000  # the bomb itself is a few hundred bytes
    result = run_limited(path)
    assert result["outcome"].startswith("SpecError: "), result
    # the value is shown shortened (never a full repr of 9**9 leaves); the child's time and memory limits are
    # the guard against a regression, and no assertion here is on time (``seconds`` is only reported)
    assert result["message_chars"] < 5_000, result


def test_spec_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    """BUG (brandkit/documents.py::read_document, shared by specs and variant plans): the size limit is checked
    with ``stat().st_size``, which is 0 for devices and FIFOs; ``read_text`` then reads ``/dev/zero`` without
    end (MemoryError in the child, or the whole machine's memory without a limit). Fix: refuse anything but a
    regular file (``stat.S_ISREG``) and read at most ``MAX_SPEC_BYTES + 1`` bytes."""
    link = tmp_path / "brand.yaml"
    link.symlink_to("/dev/zero")
    result = run_limited(link, memory_mb=1024)
    assert result["outcome"].startswith("SpecError: "), result
