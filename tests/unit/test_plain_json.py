"""The fast check of plain JSON (orjson round trip) never accepts what the exact walk refuses,
and the exact walk still names what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_registry.assets.documents import _is_plain_json, _json_problem, check_plain_json
from llm_registry.errors import ValidationError

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8),
    st.binary(max_size=4),
    st.sampled_from(["\x00", "a\udc80", "é"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers(0, 3), st.just("k\x00")), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None)
@given(values)
def test_the_fast_check_accepts_only_what_the_exact_walk_accepts(value: Any) -> None:
    if _is_plain_json(value):
        assert _json_problem(value) is None


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1),
              st.floats(allow_nan=False, allow_infinity=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
))
def test_plain_json_takes_the_fast_path(value: Any) -> None:
    assert _is_plain_json(value)


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ({"a": float("nan")}, "spec.a", "finite"),
        ({"a": [1, (2, 3)]}, "spec.a[1]", "tuple is not a JSON value"),
        ({"a": "x\x00"}, "spec.a", "NUL"),
        ({"a": 2**64}, "spec.a", "64 bits"),
        ({1: "x"}, "spec", "keys must be strings"),
    ],
)
def test_what_is_wrong_is_still_named(value: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_plain_json(value, "spec")
    assert info.value.field == field
    assert message in info.value.message
