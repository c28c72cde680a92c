"""The README's two commands: `python3 dev.py run` and `python3 dev.py test` (also `bench`).
Each makes .venv and installs the project on first use, so a machine needs only Python 3.11 and pip."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"


def sh(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True)


def ensure_venv() -> None:
    """Create .venv and install the project with its dev tools, again whenever pyproject.toml changes."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        sh(sys.executable, "-m", "venv", str(VENV))
    sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def run() -> None:
    sh(str(BIN / "rightsline"), "translations", "compile")
    os.execv(str(BIN / "rightsline"), [str(BIN / "rightsline"), "serve"])


TEMPLATE = ROOT / "translations" / "messages.pot"


def _messages(template: Path) -> str:
    """A .pot without its header entry, whose creation date, year and Babel version change by themselves."""
    text = template.read_text(encoding="utf-8")
    return text[text.find("\n\n"):]


def check_template() -> None:
    """The committed messages.pot must be what `translations extract` writes from the flows now."""
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "messages.pot"
        sh(str(BIN / "rightsline"), "translations", "extract", "--output", str(fresh))
        if _messages(fresh) != _messages(TEMPLATE):
            sys.exit("translations/messages.pot is out of date with the flow files: run "
                     "`rightsline translations extract`, then `rightsline translations update`, and commit both.")


NO_TESTS_COLLECTED = 5  # pytest's exit code when a tier selects nothing: no failure


def pytest_tier(*args: str) -> None:
    print("+", "pytest", *args, flush=True)
    code = subprocess.run([str(BIN / "pytest"), *args], cwd=ROOT).returncode
    if code not in (0, NO_TESTS_COLLECTED):
        raise subprocess.CalledProcessError(code, ["pytest", *args])


def test() -> None:
    """Everything CI runs: the flow and catalog checks staff run, lint, then both tiers of tests: the fast
    one (plain `pytest`), then the slow one (`pytest -m slow`: real worker processes)."""
    sh(str(BIN / "rightsline"), "flows", "check")
    sh(str(BIN / "rightsline"), "translations", "compile")
    sh(str(BIN / "rightsline"), "translations", "check")
    check_template()
    sh(str(BIN / "ruff"), "check", "bot", "tests", "bench", "scripts", "app.py", "worker.py", "dev.py")
    sh(str(BIN / "mypy"))
    pytest_tier("-q")
    pytest_tier("-q", "-m", "slow")


def bench() -> None:
    """The benchmarks: one table, and bench/results/latest.json (pass --full for the largest sizes)."""
    sh(str(BIN / "rightsline"), "translations", "compile")
    os.chdir(ROOT)  # `-m bench` and the tests' stand-in it borrows are found from the project's folder
    os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "bench", *sys.argv[2:]])


COMMANDS = {"run": run, "test": test, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or (len(sys.argv) > 2 and sys.argv[1] != "bench"):
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}}")
    ensure_venv()
    try:
        COMMANDS[sys.argv[1]]()
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
