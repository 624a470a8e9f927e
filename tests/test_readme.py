"""The README's promises: its example runs and its two commands are what CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_python_example_runs(capsys):
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.strip() == "echo: hello"


def test_ci_runs_the_readme_test_command_verbatim():
    commands = re.findall(r"```\n(python3 -m venv .*?)\n```", README)
    assert len(commands) == 2, "README must open with exactly two commands"
    assert commands[0].endswith(".venv/bin/burrdesk")
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci_script.splitlines()
