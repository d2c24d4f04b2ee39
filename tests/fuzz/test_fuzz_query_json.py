"""Query JSON as users write it, and worse: a description or one clear error, never a traceback."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

from fuzzing import FUZZ, text
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from provcheck import ObjectDescription
from provcheck.errors import InputError, InvalidQueryError
from provcheck.userfiles import MAX_JSON_DEPTH, load_json

FIELDS = [*ObjectDescription.model_fields, "maker"]
HUGE = "1" + "0" * 400

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
# Objects of the query's own fields, so that validation goes past "unknown field".
queries = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
# Free text in the fields people fill in, as most queries and imported records are.
TEXT_FIELDS = ["title", "maker", "measurements", "period", "materials", "keywords", "description"]
texts = st.dictionaries(st.sampled_from(TEXT_FIELDS), text, max_size=7)


@FUZZ
@given(json_values | queries)
@example({"images": 5})
@example({"images": [5]})
@example({"images": [None]})
@example({"images": {"path": "x.jpg"}})
@example({"maker": ["Rembrandt"]})
@example({"maker": "-", "makers": []})
@example({"measurements": f"{HUGE} cm"})
@example({"measurements": [{"value": 1e300, "unit": "cm", "text": "x"}]})
@example({"period": {"text": "x", "earliest": 10**400}})
@example({"keywords": {"a": 1}})
def test_validating_any_json_value(value: Any) -> None:
    with contextlib.suppress(ValidationError, InvalidQueryError, InputError):
        ObjectDescription.model_validate(value)


@FUZZ
@given(texts | queries)
@example({"measurements": f"{HUGE} cm", "period": HUGE})
def test_a_valid_description_survives_json(value: dict[str, Any]) -> None:
    try:
        description = ObjectDescription.model_validate(value)
    except (ValidationError, InvalidQueryError, InputError):
        return
    # What a record holds must come back from the store as it went in.
    assert ObjectDescription.model_validate_json(description.model_dump_json()) == description


@FUZZ
@given(st.one_of(text, json_values.map(json.dumps), queries.map(json.dumps)))
@example("[" * 100_000 + "]" * 100_000)
@example("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
@example('{"a": NaN}')
@example("[Infinity, -Infinity]")
@example("1e400")
@example("1" * 5000)
@example('{"a": 1, "a": 2}')
@example("\ufeff{}")
def test_load_json_on_any_text(value: str) -> None:
    try:
        data = load_json(value, source="query.json")
    except InputError as error:
        message = str(error)
        assert message.startswith("query.json") and "\n" not in message
        return
    # What is read is JSON as every reader reads it: finite numbers, bounded depth.
    json.dumps(data, allow_nan=False)


@FUZZ
@given(json_values)
def test_load_json_reads_what_json_writes(value: Any) -> None:
    written = json.dumps(value)
    has_infinite = any(
        isinstance(v, float) and not math.isfinite(v) for v in _leaves(value)
    )  # json.dumps writes Infinity for floats beyond range: not JSON, and refused
    if has_infinite:
        return
    assert load_json(written, source="x") == value


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@FUZZ
@given(st.one_of(text, queries.map(json.dumps)))
@example('{"images": 5}')
@example('{"images": [{"path": 5}]}')
@example('{"images": ["../../etc/passwd"]}')
def test_a_query_file(tmp_path_factory: Any, content: str) -> None:
    path: Path = tmp_path_factory.mktemp("query") / "query.json"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        ObjectDescription.from_file(path)
    except InputError as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)
