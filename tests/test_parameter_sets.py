"""Every chapter stays complete and true under other accepted parameters.

Each folder of ``data/params/`` is a parameter set (one YAML file per chapter, as
``make book PARAMS=<set>`` applies them). The sets include the awkward cases: no spikes, no
bifurcation, sweeps that do not start at zero or omit the default, an empty inhibitory
population. Under every set, every chapter executes, every ``{glue}`` reference of the
chapters and of the landing page resolves, and no glued text reads nan or inf. The set
``edge_cases`` is also built into the whole book with warnings as errors.
"""

import nbformat
import numpy as np

from neural_dynamics.results import read_results

from conftest import ROOT
from notebooks import (
    build_book,
    copy_book,
    execute_chapter,
    glued,
    run_chapters,
    unresolved_or_not_a_number,
)

SETS = sorted(p.name for p in (ROOT / "data" / "params").iterdir() if p.is_dir())
BUILT_SET = "edge_cases"
_EXECUTED = {}


def executed_book(name, tmp_path_factory):
    """A copy of the book whose chapters were executed with one parameter set (once)."""
    if name not in _EXECUTED:
        folder = copy_book(tmp_path_factory.mktemp(f"book_{name}"))
        for chapter in run_chapters.CHAPTERS:
            parameters = run_chapters.load_parameter_set(name, chapter)
            if not parameters:
                continue  # at its defaults: the committed notebook (nbval re-executes it)
            parameters["results_dir"] = str(folder / "results")
            execute_chapter(chapter, parameters, folder / "book" / f"{chapter}.ipynb")
        _EXECUTED[name] = folder
    return _EXECUTED[name]


def test_the_awkward_sets_are_shipped():
    assert {"edge_cases", "shifted_sweeps"} <= set(SETS)


def test_the_glue_check_finds_missing_and_nan_values(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Rate {glue:text}`rate_hz:.1f` Hz, {glue:text}`gone` ms."),
        nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
            "display_data", data={"application/papermill.record/text/plain": "nan"},
            metadata={"scrapbook": {"name": "rate_hz"}})]),
    ]
    nbformat.write(notebook, tmp_path / "chapter.ipynb")
    (tmp_path / "intro.md").write_text("{glue:text}`chapter.ipynb::rate_hz:.2f`")
    problems = unresolved_or_not_a_number(tmp_path)
    assert problems == ["chapter: chapter::rate_hz reads 'nan'",
                        "chapter: {glue} chapter::gone is never glued",
                        "intro: chapter::rate_hz reads 'nan'"]


def glue_problems(name, tmp_path_factory) -> list[str]:
    return unresolved_or_not_a_number(executed_book(name, tmp_path_factory) / "book")


# One class per set: pytest-xdist (--dist loadscope) hands each class to a worker as a unit,
# so the sets' executions spread over both workers.
def test_every_shipped_set_has_its_class_below():
    assert set(SETS) == {"edge_cases", "shifted_sweeps", "fine_grid"}


class TestEdgeCases:
    def test_every_glue_resolves_and_none_reads_nan(self, tmp_path_factory):
        problems = glue_problems("edge_cases", tmp_path_factory)
        assert not problems, "parameter set edge_cases:\n" + "\n".join(problems)

    def test_neural_mass_at_another_coupling_says_the_comparison_does_not_apply(
            self, tmp_path_factory):
        """C = 100 (the set's): no Hopf point at positive input, and the prose, which once
        referred to the standard model's, says so (read from the set's execution)."""
        book = executed_book("edge_cases", tmp_path_factory) / "book"
        values = glued(nbformat.read(book / "neural_mass.ipynb", as_version=4))
        assert run_chapters.load_parameter_set("edge_cases", "neural_mass")["coupling_c"] == 100.0
        assert "does not apply" in values["literature_text"]
        assert "no Hopf bifurcation at positive input" in values["bifurcation_points_text"]
        assert "`coupling_c`" in values["run_text"]
        assert not values["reproduction_text"].startswith("The base model reproduces")

    def test_the_set_builds_into_the_whole_book_without_warnings(self, tmp_path_factory):
        html = build_book(executed_book(BUILT_SET, tmp_path_factory))
        for page in run_chapters.CHAPTERS:
            assert (html / "book" / f"{page}.html").is_file()


class TestShiftedSweeps:
    def test_every_glue_resolves_and_none_reads_nan(self, tmp_path_factory):
        problems = glue_problems("shifted_sweeps", tmp_path_factory)
        assert not problems, "parameter set shifted_sweeps:\n" + "\n".join(problems)


class TestFineGrid:
    def test_every_glue_resolves_and_none_reads_nan(self, tmp_path_factory):
        problems = glue_problems("fine_grid", tmp_path_factory)
        assert not problems, "parameter set fine_grid:\n" + "\n".join(problems)

    def test_the_fine_grid_brings_chapter_1s_grid_rheobase_within_a_step(self, tmp_path_factory):
        """The set's purpose (chapter 1 at a 0.05 nA step), checked on the same execution."""
        got = read_results("excitability", executed_book("fine_grid", tmp_path_factory) / "results")
        step = run_chapters.load_parameter_set("fine_grid", "excitability")["current_step_na"]
        for key in ("fixed", "dynamic"):
            finite = got[f"rheobase_finite_duration_{key}_na"]
            assert finite <= got[f"rheobase_grid_{key}_na"] < finite + step
        assert np.isclose(got["rheobase_grid_fixed_na"], 1.55)
