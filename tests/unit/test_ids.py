"""Row and request ids are ULIDs, written exactly as the ulid library writes them."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st
from ulid import ULID

from llm_registry.domain.ids import RequestIds, encode, new_id


@given(st.binary(min_size=16, max_size=16))
def test_encoding_matches_the_ulid_library(raw: bytes) -> None:
    assert encode(int.from_bytes(raw[:6]), int.from_bytes(raw[6:])) == str(ULID.from_bytes(raw))


def test_new_ids_carry_the_time_sort_by_it_and_do_not_repeat() -> None:
    before = int(time.time() * 1000)
    ids = [new_id() for _ in range(2000)]
    after = int(time.time() * 1000)
    assert all(len(i) == 26 for i in ids)
    assert len(set(ids)) == len(ids)
    stamps = [ULID.from_str(i).milliseconds for i in ids]
    assert before <= min(stamps)
    assert max(stamps) <= after
    assert stamps == sorted(stamps)
    request_ids = RequestIds()
    assert len({request_ids() for _ in range(2000)}) == 2000
    assert before <= ULID.from_str(request_ids()).milliseconds
