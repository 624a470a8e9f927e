"""A `ChatClient` over the official `openai` package: OpenAI or any compatible server.

Local servers (Ollama, vLLM, LM Studio, llama.cpp) speak the same chat-completions API at their
own base URL, usually without a key. Every failure becomes an `LlmCallError` whose message is
one sentence a person can act on; the key is held only by the client object, never returned,
logged or put in a result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from burrdesk.engine.llm_action import ChatReply, LlmCallError
from burrdesk.model.llm_settings import OPENAI_BASE_URL, needs_key

MAX_BACKOFF = 8.0


class OpenAIChatClient:
    """Chat completions, streamed when a token listener is given, with retries and backoff."""

    mode = "live"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        import openai

        self.base_url = (base_url or OPENAI_BASE_URL).rstrip("/")
        self.timeout = timeout
        self._has_key = bool(api_key)
        # The openai client insists on a key; local servers ignore whatever is sent.
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=0,
        )

    def __repr__(self) -> str:
        return f"OpenAIChatClient(base_url={self.base_url!r})"

    def list_models(self) -> list[str]:
        """The model ids the endpoint offers (raises LlmCallError when it does not answer)."""
        self._check_key()
        try:
            return sorted(model.id for model in self._client.models.list())
        except Exception as exc:  # noqa: BLE001 - every failure becomes one sentence
            raise self._explain(exc, model=None, attempts=1) from None

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
        """One completion; rate limits, timeouts and unreachable servers are retried up to
        `retries` times with exponential backoff (or the server's Retry-After)."""
        self._check_key()
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                if on_token is None:
                    text, used_model, usage = self._plain(model, messages, temperature, max_tokens)
                else:
                    text, used_model, usage = self._streamed(
                        model, messages, temperature, max_tokens, on_token
                    )
            except Exception as exc:  # noqa: BLE001 - every failure becomes one sentence
                if attempt <= retries and _retryable(exc):
                    time.sleep(_backoff(exc, attempt))
                    continue
                raise self._explain(exc, model=model, attempts=attempt) from None
            return ChatReply(
                text=text,
                model=used_model or model,
                usage=usage,
                latency_ms=(time.perf_counter() - started) * 1000,
                attempts=attempt,
            )

    # --- calls ------------------------------------------------------------------------------

    def _arguments(
        self, model: str, messages: list[dict[str, str]], temperature: float, max_tokens: int | None
    ) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": temperature,
        }
        if max_tokens:
            arguments["max_tokens"] = max_tokens
        return arguments

    def _plain(
        self, model: str, messages: list[dict[str, str]], temperature: float, max_tokens: int | None
    ) -> tuple[str, str | None, dict[str, int] | None]:
        response = self._client.chat.completions.create(
            **self._arguments(model, messages, temperature, max_tokens)
        )
        try:
            text = response.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            raise _Malformed("it has no choices with a message") from None
        if not isinstance(text, str):
            raise _Malformed("its message has no text content")
        return text, getattr(response, "model", None), _usage(getattr(response, "usage", None))

    def _streamed(
        self,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        max_tokens: int | None,
        on_token: Callable[[str], None],
    ) -> tuple[str, str | None, dict[str, int] | None]:
        import openai

        arguments = self._arguments(model, messages, temperature, max_tokens)
        try:
            stream = self._client.chat.completions.create(
                **arguments, stream=True, stream_options={"include_usage": True}
            )
        except openai.BadRequestError as exc:
            if "stream_options" not in str(exc):
                raise
            # Some local servers refuse the usage option: stream without token counts.
            stream = self._client.chat.completions.create(**arguments, stream=True)
        parts: list[str] = []
        used_model, usage = None, None
        for chunk in stream:
            used_model = getattr(chunk, "model", None) or used_model
            usage = _usage(getattr(chunk, "usage", None)) or usage
            choices = getattr(chunk, "choices", None)
            if not isinstance(choices, list):
                raise _Malformed("a streamed chunk has no choices")
            for choice in choices:
                delta = getattr(getattr(choice, "delta", None), "content", None)
                if delta:
                    parts.append(delta)
                    on_token(delta)
        return "".join(parts), used_model, usage

    # --- errors -----------------------------------------------------------------------------

    def _check_key(self) -> None:
        if not self._has_key and needs_key(self.base_url):
            raise LlmCallError(
                "No API key: set OPENAI_API_KEY or enter a key in Settings, point the base URL "
                "at a local server, or run the flow in echo mode."
            )

    def _explain(self, exc: Exception, *, model: str | None, attempts: int) -> LlmCallError:
        import openai

        tries = f" after {attempts} attempts" if attempts > 1 else ""
        where = self.base_url
        if isinstance(exc, _Malformed):
            return LlmCallError(f"The answer from {where} was not a chat completion: {exc}.")
        if isinstance(exc, openai.APITimeoutError):
            return LlmCallError(f"{where} did not answer within {self.timeout:g} s{tries}.")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return LlmCallError(f"Cannot reach {where}{tries}: {_first_line(cause)}.")
        if isinstance(exc, openai.AuthenticationError):
            return LlmCallError(
                f"{where} refused the API key (401 Unauthorized); check the key in Settings."
            )
        if isinstance(exc, openai.RateLimitError):
            return LlmCallError(
                f"{where} is limiting requests (429 Too Many Requests){tries}; wait a moment, "
                "or give the node more retries."
            )
        if isinstance(exc, openai.NotFoundError) and model:
            return LlmCallError(f"{where} has no model {model!r} (404 Not Found).")
        if isinstance(exc, openai.APIStatusError):
            return LlmCallError(f"{where} answered {exc.status_code}: {_first_line(exc)}.")
        if isinstance(exc, openai.APIResponseValidationError | ValueError | KeyError):
            return LlmCallError(
                f"The answer from {where} was not a chat completion: {_first_line(exc)}."
            )
        return LlmCallError(
            f"The call to {where} failed: {type(exc).__name__}: {_first_line(exc)}."
        )


class _Malformed(Exception):
    """A 200 answer that is not a chat completion."""


def _retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, openai.RateLimitError | openai.APIConnectionError):
        return True  # APITimeoutError is an APIConnectionError
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _backoff(exc: Exception, attempt: int) -> float:
    """The server's Retry-After when it gives one, else 0.5 s doubling, capped."""
    response = getattr(exc, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    if header is not None:
        try:
            return min(max(float(header), 0.0), 30.0)
        except ValueError:
            pass
    return min(0.5 * 2 ** (attempt - 1), MAX_BACKOFF)


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    counts = {
        name: getattr(usage, name)
        for name in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(getattr(usage, name, None), int)
    }
    return counts or None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")
