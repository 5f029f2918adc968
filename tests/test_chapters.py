"""What every written chapter owes its readers: glued numbers, described figures."""

import re

import pytest

from notebooks import BOOK, read

CHAPTERS = sorted(p.stem for p in BOOK.glob("*.ipynb"))
GLUE_OR_MATH = re.compile(r"\{[a-z:]+\}`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\(\w+\.ipynb\)", re.S)
NUMBER_WITH_UNIT = re.compile(r"\d+(\.\d+)?\s*(nA|Hz|ms|mV|%|MOhm|uS)\b|\b\d+\.\d+\b")


def test_the_written_chapters_are_found():
    assert set(CHAPTERS) == {"excitability", "adaptation", "synchrony", "neural_mass",
                             "cross_scale", "regime_maps"}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_hand_typed_numbers_in_prose(chapter):
    """Numbers with units, and decimals, in markdown cells come from glue (or are maths)."""
    for cell in read(chapter).cells:
        if cell.cell_type == "markdown":
            prose = GLUE_OR_MATH.sub(" ", cell.source)
            found = NUMBER_WITH_UNIT.search(prose)
            assert not found, f"{chapter}: typed number {found.group()!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figures_have_caption_name_alt_text_and_hidden_code(chapter):
    names = []
    for cell in read(chapter).cells:
        if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            mystnb = cell.metadata.get("mystnb", {})
            assert mystnb["figure"]["caption"] and mystnb["figure"]["name"].startswith("fig-")
            assert mystnb["image"]["alt"]
            assert "hide-input" in cell.metadata.get("tags", [])
            names.append(mystnb["figure"]["name"])
    assert names and len(names) == len(set(names))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_outputs_carry_no_warnings_or_errors(chapter):
    for cell in read(chapter).cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error"
            if output["output_type"] == "stream":
                assert "Warning" not in output["text"], output["text"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_one_parameters_cell_with_results_dir(chapter):
    cells = [c for c in read(chapter).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1 and 'results_dir: "Optional[str]" = None' in cells[0].source


def test_no_hand_typed_numbers_in_the_landing_page(root):
    """The landing page's prose and table take their numbers from the chapters (glue)."""
    text = (root / "book" / "intro.md").read_text()
    prose = GLUE_OR_MATH.sub(" ", text)
    found = NUMBER_WITH_UNIT.search(prose)
    assert not found, f"intro.md: typed number {found.group()!r}"
