"""The `llm` node's action: a chat completion over a prompt built from state keys.

The action talks to a `ChatClient`, so flows run offline with `EchoChatClient` (clearly marked
as echo in the result and the recorded step) and against a real endpoint with
`OpenAIChatClient` (openai_chat_client.py). The key lives in the client, never in state.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from burrdesk.engine.actions import Action
from burrdesk.engine.state import State


class LlmCallError(Exception):
    """A completion that could not be had; the message is one sentence for the user."""


@dataclass(frozen=True)
class ChatReply:
    """A completion's text and what it cost: the recorded step keeps all of it."""

    text: str
    model: str
    usage: dict[str, int] | None = None
    latency_ms: float = 0.0
    attempts: int = 1


class ChatClient(Protocol):
    """Anything that turns chat messages into a reply ("live" or "echo")."""

    mode: str

    def complete(
        self,
        *,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        max_tokens: int | None,
        retries: int = 0,
        on_token: Callable[[str], None] | None = None,
    ) -> ChatReply: ...


class EchoChatClient:
    """Replies with the last user message: lets a flow with LLM nodes run with no endpoint.

    It streams its reply word by word like a real endpoint, so the app looks the same offline.
    """

    mode = "echo"

    def complete(
        self,
        *,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        max_tokens: int | None,
        retries: int = 0,
        on_token: Callable[[str], None] | None = None,
    ) -> ChatReply:
        started = time.perf_counter()
        last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        text = f"echo: {last}"
        if on_token is not None:
            for word in re.findall(r"\S+\s*|\s+", text):
                on_token(word)
        words = len(text.split())
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in messages)
        return ChatReply(
            text=text,
            model="echo",
            usage={
                "prompt_tokens": prompt_words,
                "completion_tokens": words,
                "total_tokens": prompt_words + words,
            },
            latency_ms=(time.perf_counter() - started) * 1000,
        )


_token_listener: ContextVar[Callable[[str, str], None] | None] = ContextVar(
    "burrdesk_token_listener", default=None
)


@contextmanager
def streaming_tokens_to(listener: Callable[[str, str], None]) -> Iterator[None]:
    """While active, LLM actions stream their reply: `listener(action name, new text)`.

    A context variable rather than a parameter, so the engine's step API stays Burr's.
    """
    token = _token_listener.set(listener)
    try:
        yield
    finally:
        _token_listener.reset(token)


class PromptTemplateError(ValueError):
    """A prompt template that refers to a key the state does not have."""


class _StateFormatter(string.Formatter):
    def get_value(self, key: Any, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            raise PromptTemplateError(f"the prompt template uses {{{key}}}, which is not in state")
        return super().get_value(key, args, kwargs)


def render_prompt(template: str, state: Mapping[str, Any]) -> str:
    """Fills `{key}` fields from state; a missing key is a clear error, not a KeyError."""
    return _StateFormatter().vformat(template, (), state)


class LlmAction(Action):
    """Builds messages (system, history, rendered prompt), asks the client, stores the reply."""

    def __init__(
        self,
        *,
        model: str,
        system_prompt: str,
        prompt_template: str,
        output_key: str,
        history_key: str | None,
        reads: list[str],
        temperature: float = 0.7,
        max_tokens: int | None = None,
        retries: int = 0,
        client: ChatClient | None = None,
    ):
        super().__init__()
        self.model = model
        self.system_prompt = system_prompt
        self.prompt_template = prompt_template
        self.output_key = output_key
        self.history_key = history_key
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.retries = retries
        self.client: ChatClient = client or EchoChatClient()
        self._reads = list(dict.fromkeys(reads))

    @property
    def reads(self) -> list[str]:
        return self._reads

    @property
    def writes(self) -> list[str]:
        return [self.output_key] + ([self.history_key] if self.history_key else [])

    def run(self, state: State, **run_kwargs: Any) -> dict:
        prompt = render_prompt(self.prompt_template, state)
        messages: list[dict[str, str]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        history = list(state.get(self.history_key) or []) if self.history_key else []
        messages += [m for m in history if isinstance(m, dict) and "role" in m]
        user_turn = {"role": "user", "content": prompt}
        if not (history and history[-1] == user_turn):
            messages.append(user_turn)
        listener = _token_listener.get()
        on_token = None
        if listener is not None:
            name = self.name

            def on_token(text: str) -> None:
                listener(name, text)

        reply = self.client.complete(
            model=self.model,
            messages=messages,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            retries=self.retries,
            on_token=on_token,
        )
        return {
            "output": reply.text,
            "model": reply.model,
            "mode": getattr(self.client, "mode", "live"),
            "prompt": prompt,
            "usage": reply.usage,
            "latency_ms": round(reply.latency_ms, 1),
            "attempts": reply.attempts,
        }

    def update(self, result: dict, state: State) -> State:
        new = state.update(**{self.output_key: result["output"]})
        if self.history_key:
            history = state.get(self.history_key) or []
            user_turn = {"role": "user", "content": result["prompt"]}
            turns = [] if history and history[-1] == user_turn else [user_turn]
            turns.append({"role": "assistant", "content": result["output"]})
            new = new.extend(**{self.history_key: turns})
        return new

    def get_source(self) -> str:
        return (
            f"llm(model={self.model!r}, prompt_template={self.prompt_template!r}, "
            f"output_key={self.output_key!r}, history_key={self.history_key!r})"
        )
