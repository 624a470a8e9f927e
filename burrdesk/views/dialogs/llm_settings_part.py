"""Where LLM nodes send their prompts: Edit → Settings…, and a status-bar line that says it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QLabel

from burrdesk.engine.llm_clients import chat_client_for
from burrdesk.model.llm_settings import LlmSettings, load_llm_settings, save_llm_settings
from burrdesk.views.app_settings import settings
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class LlmSettingsPart(WindowPart):
    """The LLM endpoint the next run uses, shown in the status bar and on LLM cards."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.settings_action = self.action(
            "Se&ttings…", self.open_settings, QKeySequence.StandardKey.Preferences, "settings"
        )
        if not self.settings_action.shortcut().toString():
            self.settings_action.setShortcut("Ctrl+,")
        window.outline.add_to_menu("&Edit", "preferences", self.settings_action)
        self.llm_label = QLabel()
        self.llm_label.setToolTip("Where LLM nodes send their prompts (Edit → Settings…)")
        window.outline.add_status_widget("llm", self.llm_label)
        self.apply_llm_settings(load_llm_settings())

    def apply_llm_settings(self, llm_settings: LlmSettings) -> None:
        """Uses these settings for the next run and shows what LLM nodes will call."""
        window = self.window
        self.llm_settings = llm_settings
        description = llm_settings.describe()
        self.llm_label.setText(description)
        window.inspector.panel.set_llm_endpoint(description, llm_settings.models)
        echo = llm_settings.mode() == "echo"
        window.scene.set_llm_echo(echo)
        window.canvas.recorded.scene.set_llm_echo(echo)
        window.run.panel.llm_client_factory = functools.partial(chat_client_for, llm_settings)

    def open_settings(self) -> bool:
        """The Settings dialog; saving applies and stores the settings (False when cancelled)."""
        from burrdesk.views.dialogs.settings_dialog import SettingsDialog

        store = settings()
        dialog = SettingsDialog(
            self.llm_settings,
            models=self.llm_settings.models,
            show_welcome=store.value("welcome/show", True, bool),
            parent=self.window,
        )
        self.settings_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        save_llm_settings(dialog.settings)
        store.setValue("welcome/show", dialog.show_welcome.isChecked())
        self.apply_llm_settings(dialog.settings)
        self.status_message(f"Settings saved. {dialog.settings.describe()}", 6000)
        return True
