"""JSON encoding of state values: never pickle, tag what JSON cannot hold."""

import dataclasses
import datetime

from pydantic import BaseModel

from burrdesk.model.state_codec import TAG, OpaqueValue, dumps, from_jsonable, loads, to_jsonable


class Point(BaseModel):
    x: int
    y: int


@dataclasses.dataclass
class Box:
    width: int


def test_plain_json_values_round_trip_unchanged():
    value = {"a": [1, 2.5, "s", None, True], "b": {"nested": []}}
    assert loads(dumps(value)) == value


def test_a_pydantic_model_is_stored_as_burr_stores_it_plain_json_with_its_serde_key():
    stored = to_jsonable(Point(x=1, y=2))
    assert stored == {
        "x": 1,
        "y": 2,
        "__burr_serde__": "pydantic",
        "__pydantic_class": f"{__name__}.Point",
    }


def test_dataclass_set_bytes_and_datetime_become_tagged_with_a_rendering():
    decoded = loads(dumps([Box(3), {2, 1}, b"hi", datetime.date(2026, 1, 2)]))
    assert all(isinstance(v, OpaqueValue) for v in decoded)
    box, numbers, raw, day = decoded
    assert box.value == {"width": 3}
    assert numbers.value == [1, 2]
    assert raw.value == "hi"
    assert day.value == "2026-01-02"


def test_broken_repr_does_not_lose_the_value():
    class Broken:
        def __repr__(self):
            raise RuntimeError("boom")

    decoded = loads(dumps(Broken()))
    assert "unrepresentable" in decoded.repr_text and "boom" in decoded.repr_text


def test_opaque_values_re_encode_to_the_same_record():
    first = dumps(object())
    assert dumps(loads(first)) == first


def test_to_and_from_jsonable_are_inverse_for_tagged_records():
    plain = to_jsonable({"v": {1, 2}})
    assert plain["v"][TAG] == "set"
    assert isinstance(from_jsonable(plain)["v"], OpaqueValue)


def test_a_stored_record_cannot_execute_code_on_load():
    hostile = '{"__burrdesk_opaque__": "os.system", "repr": "__import__(\'os\').system(\'x\')"}'
    value = loads(hostile)
    assert isinstance(value, OpaqueValue) and value.type_name == "os.system"


def test_text_that_is_not_valid_unicode_is_stored_escaped_and_read_back_the_same():
    value = {"name": "x\ud800y", "plain": "é"}
    text = dumps(value)
    text.encode("utf-8")  # storable: SQLite and PostgreSQL take UTF-8 only
    assert "\\ud800" in text and loads(text) == value
    assert dumps({"plain": "é"}) == '{"plain":"é"}'


def test_a_value_too_deep_to_encode_is_kept_cut_at_a_hundred_levels():
    deep: list = ["bottom"]
    for _ in range(5_000):
        deep = [deep]
    value = loads(dumps({"deep": deep, "n": 1}))
    assert value["n"] == 1
    level = value  # the top is level 0; the state's own keys are at level 1
    for _ in range(100):
        level = level["deep"] if isinstance(level, dict) else level[0]
    assert isinstance(level, OpaqueValue) and "nested more than 100 levels deep" in level.repr_text
