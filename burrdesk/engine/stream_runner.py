"""Running one streaming action: its partial results, the hooks told about each, its end.

A single-step streaming action yields `(partial, None)` items and a final `(result, state)`
(a bare dict is a partial); a two-step one yields result dicts whose last goes to `update()`.
Either way the runner yields `(partial, None)` for each partial result, after telling the
`post_stream_item` hooks (numbered from 1 and from 0 respectively, as Burr numbers them), and
ends with `(final result, new state)`. An exception after the final item was produced is
logged and the final item kept, as in Burr.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from burrdesk.engine.lifecycle import LifecycleAdapterSet
from burrdesk.engine.state import State
from burrdesk.engine.step_results import PreparedAction, check_result, merge_written, run_reducer

logger = logging.getLogger(__name__)

StreamItem = tuple[Any, State | None]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def stream_pair(action_name: str, item: Any) -> StreamItem:
    """A single-step stream's item as (result, state or None); a bare dict is a partial."""
    if isinstance(item, dict):
        return item, None
    if not isinstance(item, tuple) or len(item) != 2:
        raise ValueError(
            f"Action {action_name!r} must yield (result, None) for partial results and "
            f"(result, state) last; it yielded a {type(item).__name__}."
        )
    return item[0], item[1]


class StreamRunner:
    """Streams one step of one action (see the module docstring)."""

    def __init__(
        self,
        adapters: LifecycleAdapterSet,
        prepared: PreparedAction,
        state: State,
        inputs: dict[str, Any],
        identity: dict[str, Any],
    ):
        self.adapters = adapters
        self.prepared = prepared
        self.state = state
        self.inputs = inputs
        self.identity = identity
        """`sequence_id`, `app_id` and `partition_key`, as the stream hooks receive them."""
        self._started = _now()
        self._first: datetime.datetime | None = None
        self._told = adapters.does_hook("post_stream_item") or adapters.does_hook(
            "post_stream_item", is_async=True
        )
        """Whether any hook listens for items (if none, an item costs no bookkeeping)."""

    def _item_arguments(self, item: Any, index: int) -> dict[str, Any]:
        self._first = self._first or _now()
        return {
            "item": item,
            "item_index": index,
            "stream_initialize_time": self._started,
            "first_stream_item_start_time": self._first,
            "action": self.prepared.name,
            **self.identity,
        }

    def _final(self, result: Any, final: State | None) -> tuple[Any, State]:
        prepared = self.prepared
        if final is None:
            raise ValueError(
                f"Action {prepared.name!r} ended its stream without a state: the last item a "
                "streaming action yields must be (result, state), e.g. "
                "yield {'response': text}, state.update(response=text)."
            )
        check_result(prepared, result)
        return result, merge_written(prepared, self.state, final)

    def _reduced(self, result: Any) -> tuple[Any, State]:
        new_state = run_reducer(self.prepared, self.state, result)
        check_result(self.prepared, result)
        return result, new_state

    def items(self) -> Iterator[StreamItem]:
        """The synchronous stream."""
        action, name, told = self.prepared.action, self.prepared.name, self._told
        result: Any = None
        if self.prepared.single:
            final: State | None = None
            count = 0
            try:
                for item in action.stream_run_and_update(self.state, **self.inputs):  # type: ignore[attr-defined]
                    if type(item) is tuple and len(item) == 2:
                        result, final = item
                    else:
                        result, final = stream_pair(name, item)
                    if final is None:
                        count += 1
                        if told:
                            self.adapters.call(
                                "post_stream_item", **self._item_arguments(result, count)
                            )
                        yield result, None
            except Exception:
                if final is None:
                    raise
                logger.warning(
                    "Streaming action %r raised after its final item.", name, exc_info=True
                )
            yield self._final(result, final)
            return
        count = 0
        try:
            for item in action.stream_run(self.state, **self.inputs):  # type: ignore[attr-defined]
                previous, result = result, item
                if previous is not None:
                    if told:
                        self.adapters.call(
                            "post_stream_item", **self._item_arguments(previous, count)
                        )
                    count += 1
                    yield previous, None
        except Exception:
            if result is None:
                raise
            logger.warning(
                "Streaming action %r raised; its last item goes to update().", name, exc_info=True
            )
        yield self._reduced(result)

    async def aitems(self) -> AsyncIterator[StreamItem]:
        """The asynchronous stream (async hooks are awaited too)."""
        action, name, told = self.prepared.action, self.prepared.name, self._told
        result: Any = None
        if self.prepared.single:
            final: State | None = None
            count = 0
            try:
                async for item in action.stream_run_and_update(self.state, **self.inputs):  # type: ignore[attr-defined]
                    result, final = stream_pair(name, item)
                    if final is None:
                        count += 1
                        if told:
                            await self.adapters.acall(
                                "post_stream_item", **self._item_arguments(result, count)
                            )
                        yield result, None
            except Exception:
                if final is None:
                    raise
                logger.warning(
                    "Streaming action %r raised after its final item.", name, exc_info=True
                )
            yield self._final(result, final)
            return
        count = 0
        try:
            async for item in action.stream_run(self.state, **self.inputs):  # type: ignore[attr-defined]
                previous, result = result, item
                if previous is not None:
                    if told:
                        await self.adapters.acall(
                            "post_stream_item", **self._item_arguments(previous, count)
                        )
                    count += 1
                    yield previous, None
        except Exception:
            if result is None:
                raise
            logger.warning(
                "Streaming action %r raised; its last item goes to update().", name, exc_info=True
            )
        yield self._reduced(result)
