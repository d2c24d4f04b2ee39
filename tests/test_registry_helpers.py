"""What plugins share: records from a service's items, status words, photographs as JSON, and a
search that stays pending when its service is out of reach."""

from __future__ import annotations

import base64

import pytest
from pydantic import BaseModel

from provcheck import (
    ImageRef,
    Record,
    RecordStatus,
    RegistryUnavailableError,
    SearchPending,
    collect_records,
)
from provcheck.registers.http import pending_if_unreachable, photograph_json


class Item(BaseModel):
    id: str


def to_record(item: object) -> Record:
    if not isinstance(item, dict):
        raise TypeError(f"an item is an object, not {type(item).__name__}")
    return Record(registry="x", record_id=Item.model_validate(item).id)


def test_bad_items_are_left_out_with_a_warning_the_rest_kept() -> None:
    records, warnings = collect_records(
        [{"id": "a"}, {"name": "b"}, "c", {"id": "d"}], to_record, label=lambda n: f"item {n}"
    )
    assert [r.record_id for r in records] == ["a", "d"]
    assert warnings == [
        "item 2 left out: id: Field required",
        "item 3 left out: item: an item is an object, not str",
    ]


def test_a_registers_status_word_is_read_or_unknown() -> None:
    assert RecordStatus.parse(" Stolen ") is RecordStatus.STOLEN
    assert RecordStatus.parse("confiscated") is RecordStatus.UNKNOWN
    assert RecordStatus.parse(None) is RecordStatus.UNKNOWN


def test_photographs_go_as_their_address_or_their_bytes() -> None:
    assert photograph_json(ImageRef(url="https://x.example/1.jpg")) == {
        "url": "https://x.example/1.jpg"
    }
    assert (
        base64.b64decode(photograph_json(ImageRef(data=b"\xff\xd8jpeg"))["data"]) == b"\xff\xd8jpeg"
    )


def test_an_accepted_search_out_of_reach_is_pending_with_its_handle() -> None:
    with (
        pytest.raises(SearchPending) as raised,
        pending_if_unreachable("r: S-1 was submitted", handle={"id": "S-1"}),
    ):
        raise RegistryUnavailableError("r: could not reach GET https://r.example/s/S-1")
    assert raised.value.handle == {"id": "S-1"}
    assert str(raised.value).startswith("r: S-1 was submitted, but its answer could not be fetched")
    with pytest.raises(ValueError), pending_if_unreachable("r: S-1", handle={}):
        raise ValueError("not a reachability problem: not pending")
