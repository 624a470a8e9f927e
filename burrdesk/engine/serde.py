"""Burr's `burr.core.serde` for burrdesk programs: register how a type of yours is stored.

`@serde.serialize.register(MyType)` returns a JSON dict carrying `serde.KEY`, and
`@serde.deserializer.register("my-key")` builds the object back from it. The run database and
the persisters store such values in that form and the engine reads them back when a run is
resumed or forked (the registry itself lives in `burrdesk.model.value_serde`, with the state
encoding that uses it).
"""

from burrdesk.model.value_serde import (
    KEY,
    StringDispatch,
    deserialize,
    deserializer,
    serialize,
)

__all__ = ["KEY", "StringDispatch", "deserialize", "deserializer", "serialize"]
