"""The Help menu and what a person sees first: the welcome page, the documentation, About.

On a first launch (an empty default run database) demo runs are recorded by running the
example flows headless, and the chatbot example opens, so every view has something to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from burrdesk import __version__
from burrdesk.engine.demo_runs import needs_demo_runs, seed_demo_runs
from burrdesk.model import resource_location
from burrdesk.views.app_settings import recent_files, settings
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.dialogs.documentation_dialog import DocumentationDialog
    from burrdesk.views.dialogs.shortcuts_dialog import ShortcutsDialog
    from burrdesk.views.dialogs.welcome_dialog import WelcomeDialog
    from burrdesk.views.main_window import MainWindow


class HelpPart(WindowPart):
    """Welcome, Documentation and About, and the start of an app opened without a file."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.welcome: WelcomeDialog | None = None
        self.documentation: DocumentationDialog | None = None
        self.welcome_action = self.action("&Welcome", self.show_welcome, icon="welcome")
        self.documentation_action = self.action(
            "&Documentation", self.show_documentation, QKeySequence.StandardKey.HelpContents
        )
        self.about_action = self.action("&About burrdesk", self.show_about)
        self.shortcuts_action = self.action(
            "&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/", tip="Every command's keys"
        )
        self.shortcuts: ShortcutsDialog | None = None
        window.outline.add_to_menu(
            "&Help", "guide", self.welcome_action, self.documentation_action, self.shortcuts_action
        )
        window.outline.add_to_menu("&Help", "about", self.about_action)

    def start_up(self) -> None:
        """What an app started without a file shows: on a first launch (an empty default run
        database) demo runs are recorded and the chatbot example opens; the default database
        is shown in the timeline; the welcome page opens unless turned off."""
        window = self.window
        db_path = window.run.database_path()
        examples = resource_location.examples_dir()
        demo = None
        if needs_demo_runs(db_path):
            try:
                demo = seed_demo_runs(db_path, examples)
            except Exception as error:  # noqa: BLE001 - the app must start even if seeding fails
                self.status_message(f"Could not record the demo runs: {error}", 8000)
            window.files.open_example(examples / "chatbot.burrflow")
        if db_path.exists():
            window.timeline.open_run_database(db_path)
            if demo is not None:
                window.timeline.panel.select_run(demo.chat)
                window.canvas.show_editor()
        if demo is None:
            window.files.reopen_last_flow()  # a relaunch goes on where one left off
        if settings().value("welcome/show", True, bool):
            self.show_welcome()

    def show_welcome(self) -> None:
        from burrdesk.views.dialogs.welcome_dialog import WelcomeDialog

        window = self.window
        dialog = WelcomeDialog(
            resource_location.example_flows(),
            recent_files(),
            show_at_startup=settings().value("welcome/show", True, bool),
            parent=window,
        )
        dialog.exampleChosen.connect(window.files.open_example)
        dialog.recentChosen.connect(lambda path: window.files.open_path(path))
        dialog.settingsRequested.connect(window.llm.open_settings)
        dialog.documentationRequested.connect(self.show_documentation)
        dialog.show_at_startup.toggled.connect(lambda on: settings().setValue("welcome/show", on))
        self.welcome = dialog
        dialog.show()

    def show_shortcuts(self) -> ShortcutsDialog:
        from burrdesk.views.dialogs.shortcuts_dialog import ShortcutsDialog

        if self.shortcuts is None:
            self.shortcuts = ShortcutsDialog(self.window.outline.menus, self.window)
        self.shortcuts.show()
        self.shortcuts.raise_()
        self.shortcuts.search.setFocus()
        return self.shortcuts

    def show_documentation(self) -> None:
        from burrdesk.views.dialogs.documentation_dialog import DocumentationDialog

        self.documentation = DocumentationDialog(self.window)
        self.documentation.show()

    def show_about(self) -> None:
        QMessageBox.about(
            self.window,
            "About burrdesk",
            f"burrdesk {__version__}\n\nA workbench for Burr-style state-machine "
            "applications: design the flow, run it, and walk back through every step.",
        )
