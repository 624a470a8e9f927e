"""The chat client the settings call for: echo mode offline, else the openai client.

Settings are a stored document (model/); building a client from them is the engine's job, so
the settings file never imports the code that talks to a server.
"""

from __future__ import annotations

from collections.abc import Mapping

from burrdesk.engine.llm_action import ChatClient, EchoChatClient
from burrdesk.engine.openai_chat_client import OpenAIChatClient
from burrdesk.model.llm_settings import LlmSettings


def chat_client_for(settings: LlmSettings, environ: Mapping[str, str] | None = None) -> ChatClient:
    """An echo client when the settings have nowhere to send prompts, else a live one."""
    if settings.mode(environ) == "echo":
        return EchoChatClient()
    return OpenAIChatClient(
        base_url=settings.endpoint, api_key=settings.key(environ), timeout=settings.timeout
    )
