"""The `llm` node's action: a chat completion over a prompt built from state keys.

The action talks to a `ChatClient`, so flows run offline with `EchoChatClient` (clearly marked
as echo in the result and the recorded step) and against a real endpoint with a client that
wraps the `openai` package. Nothing here imports openai; the key never passes through state.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, Protocol

from burrdesk.engine.actions import Action
from burrdesk.engine.state import State


class ChatClient(Protocol):
    """Anything that turns chat messages into a reply."""

    mode: str

    def complete(
        self,
        *,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        max_tokens: int | None,
    ) -> str: ...


class EchoChatClient:
    """Replies with the last user message: lets a flow with LLM nodes run with no endpoint."""

    mode = "echo"

    def complete(
        self,
        *,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        max_tokens: int | None,
    ) -> str:
        last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        return f"echo: {last}"


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
        reply = self.client.complete(
            model=self.model,
            messages=messages,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        return {
            "output": reply,
            "model": self.model,
            "mode": getattr(self.client, "mode", "live"),
            "prompt": prompt,
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
