"""Settings: where LLM nodes send their prompts, and whether the welcome page opens at startup.

Fetching the endpoint's models is a network call, so it runs on a short-lived thread and the
dialog stays responsive; the answer (or a one-sentence error) arrives by a queued signal.
"""

from __future__ import annotations

import os

from pydantic import SecretStr
from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from burrdesk.engine.llm_action import LlmCallError
from burrdesk.engine.openai_chat_client import OpenAIChatClient
from burrdesk.model.llm_settings import KEY_VARIABLE, LlmSettings

PRESETS = (
    ("OpenAI", ""),
    ("Ollama", "http://localhost:11434/v1"),
    ("LM Studio", "http://localhost:1234/v1"),
    ("vLLM", "http://localhost:8000/v1"),
    ("llama.cpp server", "http://localhost:8080/v1"),
)


class ModelFetcher(QThread):
    """Asks an endpoint for its models off the GUI thread."""

    fetched = Signal(list)
    failed = Signal(str)

    def __init__(self, base_url: str, api_key: str | None, timeout: float) -> None:
        super().__init__()
        self._arguments = (base_url, api_key, timeout)

    def run(self) -> None:
        base_url, api_key, timeout = self._arguments
        try:
            client = OpenAIChatClient(base_url=base_url or None, api_key=api_key, timeout=timeout)
            self.fetched.emit(client.list_models())
        except LlmCallError as error:
            self.failed.emit(str(error))


class SettingsDialog(QDialog):
    """Edits a copy of the LLM settings; `settings` holds the result after Save."""

    def __init__(
        self,
        settings: LlmSettings,
        *,
        models: list[str] | None = None,
        show_welcome: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.settings = settings
        self.models = list(models or [])
        self._fetcher: ModelFetcher | None = None

        llm = QGroupBox("LLM nodes", self)
        form = QFormLayout(llm)
        self.endpoint_mode = QRadioButton("Call a chat-completions endpoint", llm)
        self.echo_mode = QRadioButton("Echo mode: offline, replies repeat the prompt", llm)
        (self.echo_mode if settings.echo else self.endpoint_mode).setChecked(True)
        modes = QVBoxLayout()
        modes.addWidget(self.endpoint_mode)
        modes.addWidget(self.echo_mode)
        form.addRow("Mode", modes)

        self.preset = QComboBox(llm)
        for name, url in PRESETS:
            self.preset.addItem(name, url)
        self.base_url = QLineEdit(settings.base_url, llm)
        self.base_url.setPlaceholderText("https://api.openai.com/v1")
        self.base_url.setClearButtonEnabled(True)
        self.preset.setCurrentIndex(max(self.preset.findData(settings.base_url.rstrip("/")), 0))
        self.preset.activated.connect(lambda _i: self.base_url.setText(self.preset.currentData()))
        url_row = QHBoxLayout()
        url_row.addWidget(self.base_url, 1)
        url_row.addWidget(self.preset)
        form.addRow("Base URL", url_row)

        self.api_key = QLineEdit(settings.api_key.get_secret_value(), llm)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("sk-…  (local servers usually need none)")
        form.addRow("API key", self.api_key)
        self.key_note = QLabel(llm)
        self.key_note.setObjectName("hint")
        self.key_note.setWordWrap(True)
        note = "Kept in your user settings only: never in flows, run databases or exports."
        if os.environ.get(KEY_VARIABLE):
            note = f"{KEY_VARIABLE} is set in the environment and is used instead. " + note
        self.key_note.setText(note)
        form.addRow("", self.key_note)

        self.timeout = QDoubleSpinBox(llm)
        self.timeout.setRange(1, 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(settings.timeout)
        self.timeout.setMaximumWidth(140)
        form.addRow("Timeout", self.timeout)

        self.model_list = QComboBox(llm)
        self.model_list.setMinimumWidth(220)
        self.model_list.addItems(self.models)
        self.fetch_button = QPushButton("Fetch Models", llm)
        self.fetch_button.setToolTip("Ask the endpoint which models it serves")
        self.fetch_button.clicked.connect(self.fetch_models)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_list, 1)
        model_row.addWidget(self.fetch_button)
        form.addRow("Models", model_row)
        self.fetch_status = QLabel(llm)
        self.fetch_status.setObjectName("hint")
        self.fetch_status.setWordWrap(True)
        self.fetch_status.setText(
            f"{len(self.models)} models known; LLM nodes offer them as you type."
            if self.models
            else "Fetch the endpoint's models to have LLM nodes offer them."
        )
        form.addRow("", self.fetch_status)

        general = QGroupBox("General", self)
        general_layout = QVBoxLayout(general)
        self.show_welcome = QCheckBox("Show the welcome page when burrdesk starts", general)
        self.show_welcome.setChecked(show_welcome)
        general_layout.addWidget(self.show_welcome)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(llm)
        layout.addWidget(general)
        layout.addWidget(buttons)
        self.endpoint_mode.toggled.connect(self._update_enabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        live = self.endpoint_mode.isChecked()
        for widget in (self.base_url, self.preset, self.api_key, self.timeout, self.fetch_button):
            widget.setEnabled(live)

    def edited_settings(self) -> LlmSettings:
        return self.settings.model_copy(
            update={
                "base_url": self.base_url.text().strip(),
                "api_key": SecretStr(self.api_key.text().strip()),
                "timeout": self.timeout.value(),
                "echo": self.echo_mode.isChecked(),
                "models": list(self.models),
            }
        )

    def fetch_models(self) -> None:
        if self._fetcher is not None:
            return
        edited = self.edited_settings()
        self.fetch_status.setText(f"Asking {edited.endpoint} for its models…")
        self.fetch_button.setEnabled(False)
        fetcher = ModelFetcher(edited.base_url, edited.key(), min(edited.timeout, 15.0))
        fetcher.fetched.connect(self._models_fetched)
        fetcher.failed.connect(self._fetch_failed)
        fetcher.finished.connect(self._fetch_done)
        self._fetcher = fetcher
        fetcher.start()

    def _models_fetched(self, models: list) -> None:
        self.models = [str(m) for m in models]
        self.model_list.clear()
        self.model_list.addItems(self.models)
        self.fetch_status.setText(
            f"{len(self.models)} models at {self.edited_settings().endpoint}."
            if self.models
            else "The endpoint answered but offers no models."
        )

    def _fetch_failed(self, message: str) -> None:
        self.fetch_status.setText(message)

    def _fetch_done(self) -> None:
        self._fetcher = None
        self.fetch_button.setEnabled(self.endpoint_mode.isChecked())

    def accept(self) -> None:
        self.settings = self.edited_settings()
        super().accept()

    def done(self, result: int) -> None:
        if self._fetcher is not None:
            self._fetcher.wait(20_000)
        super().done(result)
