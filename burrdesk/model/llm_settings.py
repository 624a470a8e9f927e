"""Where LLM nodes send their prompts: an endpoint, its key, or echo mode (offline).

Kept in `llm.json` in the user's data directory (readable only by the user), shared by the app
and `burrdesk run`. The key is a `SecretStr`, so printing or logging the settings shows stars;
it is written only to this file, never to a flow, a run database or an exported script.
`OPENAI_API_KEY` in the environment takes precedence over a stored key.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from burrdesk.model.data_location import user_data_dir

KEY_VARIABLE = "OPENAI_API_KEY"
SETTINGS_FILE = "llm.json"
OPENAI_BASE_URL = "https://api.openai.com/v1"


def needs_key(base_url: str | None) -> bool:
    """OpenAI's own endpoint needs a key; a local or self-hosted server usually does not."""
    return not base_url or "api.openai.com" in base_url


class LlmSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    base_url: str = Field(default="", description="empty: OpenAI's API")
    api_key: SecretStr = SecretStr("")
    timeout: float = Field(default=60.0, gt=0)
    echo: bool = Field(default=False, description="always run LLM nodes in echo mode")
    models: list[str] = Field(default_factory=list, description="what the endpoint last offered")

    def key(self, environ: Mapping[str, str] | None = None) -> str | None:
        environ = os.environ if environ is None else environ
        return environ.get(KEY_VARIABLE) or self.api_key.get_secret_value() or None

    def key_source(self, environ: Mapping[str, str] | None = None) -> str | None:
        """Where the key comes from ("environment" or "settings"), for the dialog to say."""
        environ = os.environ if environ is None else environ
        if environ.get(KEY_VARIABLE):
            return "environment"
        return "settings" if self.api_key.get_secret_value() else None

    @property
    def endpoint(self) -> str:
        return (self.base_url.strip() or OPENAI_BASE_URL).rstrip("/")

    def mode(self, environ: Mapping[str, str] | None = None) -> str:
        """ "live" when there is an endpoint to call, else "echo"."""
        if self.echo:
            return "echo"
        if needs_key(self.base_url.strip() or None) and not self.key(environ):
            return "echo"
        return "live"

    def describe(self, environ: Mapping[str, str] | None = None) -> str:
        """One line for the status bar: what LLM nodes will talk to."""
        if self.mode(environ) == "echo":
            reason = "chosen in Settings" if self.echo else "no API key or local endpoint"
            return f"LLM: echo mode ({reason})"
        return f"LLM: {self.endpoint}"


def settings_path() -> Path:
    return user_data_dir() / SETTINGS_FILE


def load_llm_settings(path: Path | None = None) -> LlmSettings:
    """The stored settings; defaults when the file is missing or unreadable (never fails)."""
    path = path or settings_path()
    try:
        return LlmSettings.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return LlmSettings()


def save_llm_settings(settings: LlmSettings, path: Path | None = None) -> Path:
    """Writes the settings, key included, to a file only its owner can read."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = settings.model_dump(mode="json")
    data["api_key"] = settings.api_key.get_secret_value()
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
    with contextlib.suppress(OSError):
        os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path
