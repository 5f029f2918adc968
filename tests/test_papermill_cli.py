"""The papermill command line as the README shows it: documented parameters, no warnings."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from notebooks import BOOK, parameters

PAPERMILL = str(Path(sys.executable).parent / "papermill")
CHAPTERS = sorted(p.stem for p in BOOK.glob("*.ipynb"))
NEXT_ENTRY = r"(?= \w+: \w+(?:\[\w+\])? \(default|$)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_help_notebook_lists_every_parameter_with_type_and_help(chapter):
    run = subprocess.run([PAPERMILL, "--help-notebook", str(BOOK / f"{chapter}.ipynb")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    text = " ".join((run.stdout + run.stderr).split())
    assert "Unknown type" not in text and "Unable to parse" not in text
    for name, default in parameters(chapter).items():
        entry = rf"\b{name}: (\w+(?:\[\w+\])?) \(default [^)]*\) (\S.*?)"
        match = re.search(entry + NEXT_ENTRY, text)
        assert match, f"{chapter}: {name} is not listed with a type and help"
        kind, help_text = match.groups()
        expected = {float: "float", int: "int", list: "list", type(None): "Optional[str]"}
        assert kind == expected[type(default)], (name, kind)
        assert len(help_text) > 10, (name, help_text)


def test_papermill_runs_a_notebook_without_kernel_warnings(tmp_path):
    """The venv's kernel spec encrypts the kernel's sockets, so ipykernel prints nothing."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                      nbformat.v4.new_code_cell("print(x + 1)")]
    nbformat.write(notebook, tmp_path / "in.ipynb")
    run = subprocess.run([PAPERMILL, "in.ipynb", "out.ipynb", "-p", "x", "41",
                          "--no-progress-bar"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr and "without encryption" not in run.stderr, run.stderr
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[-1].outputs[0]["text"] == "42\n"


def test_the_provisioner_drops_only_the_sigint_before_a_shutdown(monkeypatch):
    import asyncio
    import signal

    from book_kernel import EncryptedLocalProvisioner
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner

    sent = []

    async def record(self, signum):  # stands in for LocalProvisioner.send_signal
        sent.append(signum)

    monkeypatch.setattr(LocalProvisioner, "send_signal", record)
    manager = AsyncKernelManager()
    provisioner = EncryptedLocalProvisioner(kernel_id="k", kernel_spec=None, parent=manager)
    manager.shutting_down = True
    asyncio.run(provisioner.send_signal(signal.SIGINT))
    asyncio.run(provisioner.send_signal(signal.SIGTERM))
    manager.shutting_down = False
    asyncio.run(provisioner.send_signal(signal.SIGINT))
    assert sent == [signal.SIGTERM, signal.SIGINT]
