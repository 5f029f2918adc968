"""The book builds with warnings as errors, and its landing table is complete."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from notebooks import shared_build


class TableCells(HTMLParser):
    """Collect the text of every <td> of the page's tables."""

    def __init__(self):
        super().__init__()
        self.cells, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def built_html(tmp_path_factory) -> Path:
    """A copy of the book's sources built with -W (warnings are errors) and -n (nitpicky),
    once per session: tests/test_browser.py opens the same pages."""
    return shared_build(tmp_path_factory)


def test_every_chapter_page_is_built(built_html):
    pages = ["intro", "excitability", "adaptation", "synchrony", "neural_mass", "cross_scale",
             "regime_maps", "bibliography"]
    for page in [f"book/{name}.html" for name in pages]:
        assert (built_html / page).is_file(), page


def test_landing_table_has_a_value_in_every_cell(built_html):
    parser = TableCells()
    parser.feed((built_html / "book" / "intro.html").read_text())
    assert len(parser.cells) >= 3 and len(parser.cells) % 3 == 0
    assert all(parser.cells), parser.cells
    rows = [parser.cells[i:i + 3] for i in range(0, len(parser.cells), 3)]
    excitability = next(r for r in rows if r[0] == "Single-neuron excitability")
    assert re.fullmatch(
        r"Fixed-threshold rheobase: 2\.0 nA; dynamic-threshold rheobase: 1\.5 nA", excitability[1]
    )
    effects = next(r for r in rows if r[0] == "Threshold and adaptation effects")
    assert re.fullmatch(
        r"At 4\.0 nA, dynamic threshold lowers steady-state rate by 17\.20 Hz \(24\.3%\), "
        r"while slow adaptation lowers it by 33\.49 Hz \(75\.4%\); with adaptation on, the "
        r"post-spike threshold changes the steady rate by only 0\.01 Hz \(by 71\.16 Hz without\)",
        effects[1]
    )
    synchrony = next(r for r in rows if r[0] == "Coupled-neuron synchrony")
    assert re.fullmatch(
        r"Coincidence fraction increases from 0\.286 to 0\.571 as excitatory coupling is "
        r"strengthened to ratio 3\.0", synchrony[1]
    )
    mass = next(r for r in rows if r[0] == "Neural-mass oscillations")
    assert re.fullmatch(
        r"Base PSD peak: 3\.0 Hz; peak power rises from 1\.449 to 16\.838 at Wep = 160\.0",
        mass[1]
    )
    cross = next(r for r in rows if r[0] == "From spikes to the neural mass")
    assert re.fullmatch(
        r"Siegert's formula with the coloured-noise correction is within [0-9.]+ % of a "
        r"simulated noisy population on average \(the white-noise formula: [0-9.]+ %\); "
        r"with kernels fitted to the book's PSPs, in Jansen–Rit the alpha cycle moves from "
        r"[0-9.]+ Hz to [0-9.]+ Hz and the spike-like cycle \([0-9.]+ Hz\) is gone; the mean "
        r"field of chapter 3's network (can no longer be shown to lie within the ±10 % band "
        r"from coupling × [0-9.]+ \(the seed-mean error there, [-+0-9.]+ %, is (inside|outside) "
        r"the band, but its 95 % interval over [0-9]+ seeds, [-+0-9.]+ % to [-+0-9.]+ %, "
        r"reaches (beyond|into) it\)( and is shown to leave it at × [0-9.]+, where the whole "
        r"interval, [-+0-9.]+ % to [-+0-9.]+ % around [-+0-9.]+ %, lies outside it"
        r"| and has no unique fixed point at coupling × [0-9.]+"
        r"|, but at no coupling of the sweep does the whole interval lie outside the band)"
        r"|leaves the ±10 % band at coupling × [0-9.]+, where the whole 95 % interval over "
        r"[0-9]+ seeds of its error, [-+0-9.]+ % to [-+0-9.]+ % around [-+0-9.]+ %, lies "
        r"outside it|has no unique fixed point at coupling × [0-9.]+"
        r"|stays within the ±10 % band over the coupling sweep \(the 95 % interval over [0-9]+ "
        r"seeds of its error lies inside the band at every coupling( where it is defined; at "
        r"× [0-9., ]+ too few seeds fire to define it)?\))", cross[1]
    )
    assert [r[0] for r in rows] == [
        "Single-neuron excitability", "Threshold and adaptation effects",
        "Coupled-neuron synchrony", "Neural-mass oscillations", "From spikes to the neural mass"]


def test_figures_are_numbered_and_math_is_served_locally(built_html):
    page = (built_html / "book" / "excitability.html").read_text()
    assert page.count("<figcaption>") >= 4
    assert "Fig. 1.1" in page and "Fig. 1.4" in page  # numbered per chapter
    assert "_static/mathjax/tex-chtml.js" in page
    assert "cdn.jsdelivr" not in page


def test_no_object_reprs_leak_into_the_pages(built_html):
    """A glue of the wrong kind renders as "<IPython.core.display.Markdown object>": none may."""
    for page in (built_html / "book").glob("*.html"):
        text = page.read_text()
        assert "IPython.core.display" not in text and "object at 0x" not in text, page.name
