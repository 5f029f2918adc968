"""Run a chapter's cells in one long-lived kernel, for the tests of its input checks.

A papermill run starts a kernel and imports the scientific stack again every time (about five
seconds), and the tests of bad parameters do that some sixty times only to see the validation
cell raise. :class:`ChapterKernel` runs in the test process's reused kernel
(:func:`notebooks.warm_kernel`, the venv's ``python3`` spec, as papermill uses) and, for each
case, resets its namespace and executes the chapter's code cells
from its ``parameters`` cell onward with the case's values injected right after it, exactly
as papermill would inject them, until a cell raises. The error comes back as papermill's
:class:`~papermill.exceptions.PapermillExecutionError` with the same cell index, source, name
and value, so a test reads the same as with papermill. The end-to-end papermill runs stay in
the chapters' other tests.
"""

from __future__ import annotations

import papermill
import pytest
from papermill.translators import translate_parameters

from notebooks import RESET, read, warm_kernel


class ChapterKernel:
    """Re-executes ``book/<chapter>.ipynb`` from its parameters cell in a started kernel."""

    def __init__(self, chapter: str, manager, timeout_s: float = 600.0):
        notebook = read(chapter)
        self.chapter, self.timeout_s = chapter, timeout_s
        self.cells = [(i, c.source) for i, c in enumerate(notebook.cells)
                      if c.cell_type == "code"]
        self.first = next(k for k, (i, _) in enumerate(self.cells)
                          if "parameters" in notebook.cells[i].metadata.get("tags", []))
        self.manager = manager  # started elsewhere (notebooks.warm_kernel), left running
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def _execute(self, cell_index: int, source: str) -> None:
        reply = self.client.execute_interactive(source, timeout=self.timeout_s,
                                                output_hook=lambda message: None)
        content = reply["content"]
        if content["status"] == "error":
            raise papermill.PapermillExecutionError(
                cell_index, content.get("execution_count"), source, content["ename"],
                content["evalue"], content["traceback"])

    def run(self, **parameters) -> None:
        """Execute the chapter with ``parameters`` injected; raise at the first failing cell
        (in a fresh namespace: the chapter's imports come after its parameters cell)."""
        self._execute(-1, RESET)
        index, source = self.cells[self.first]
        self._execute(index, source)
        self._execute(index + 1, translate_parameters("python3", "python", parameters,
                                                      "Injected parameters"))
        for index, source in self.cells[self.first + 1:]:
            self._execute(index + 1, source)  # +1: the injected cell comes before it

    def close(self) -> None:
        self.client.stop_channels()


def kernel_fixture(chapter: str):
    """A module-scoped ``kernel`` fixture: one :class:`ChapterKernel` for a test module's
    input-check cases (``kernel = kernel_fixture("excitability")`` in the module)."""

    @pytest.fixture(scope="module")
    def kernel():
        chapter_kernel = ChapterKernel(chapter, warm_kernel())
        yield chapter_kernel
        chapter_kernel.close()

    return kernel
