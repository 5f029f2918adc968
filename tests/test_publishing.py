"""The book is set up for publishing: a valid Pages workflow, a sitemap and Open Graph tags with
absolute URLs under the address derived from the repository (``_config.yml``), launch buttons."""

import json
import re
import subprocess
import sys
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from conftest import ROOT
from notebooks import copy_book, shared_build

sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))
import book_html_fixes  # noqa: E402
import colab_cell  # noqa: E402
import print_pdf  # noqa: E402

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
CHAPTERS = ["excitability", "adaptation", "synchrony", "neural_mass", "cross_scale"]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


@pytest.fixture(scope="module")
def built_html(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory)


def published_address() -> str:
    return CONFIG["html"].get("baseurl") or book_html_fixes.pages_url(CONFIG["repository"]["url"])


def test_workflows_are_valid_github_workflows():
    """Against the GitHub workflow schema bundled with check-jsonschema (no network)."""
    assert WORKFLOWS
    checker = Path(sys.executable).parent / "check-jsonschema"
    run = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows",
                          *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_pages_workflow_tests_builds_and_deploys_from_main_only():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    commands = [step.get("run", "") for step in build["steps"]]
    assert "make test" in commands and "make book" in commands
    upload = next(s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "concurrency" in workflow


@pytest.mark.parametrize("repository, address", [
    ("https://github.com/owner/book", "https://owner.github.io/book/"),
    ("https://github.com/Owner/book.git", "https://owner.github.io/book/"),
    ("https://github.com/owner/owner.github.io", "https://owner.github.io/"),
])
def test_the_published_address_follows_the_repository(repository, address):
    assert book_html_fixes.pages_url(repository) == address


def test_a_repository_not_on_github_needs_an_explicit_address():
    with pytest.raises(ValueError, match="repository.url = 'https://gitlab.com/a/b'"):
        book_html_fixes.pages_url("https://gitlab.com/a/b")


def test_sitemap_lists_every_chapter_with_absolute_urls(built_html):
    names = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.parse(built_html / "sitemap.xml").getroot()
    urls = [loc.text for loc in root.findall("s:url/s:loc", names)]
    assert all(url.startswith(published_address()) for url in urls), urls
    for page in ["intro", "excitability", "adaptation", "synchrony", "neural_mass",
                 "cross_scale"]:
        assert f"{published_address()}book/{page}.html" in urls


def test_pages_have_open_graph_tags_and_launch_buttons(built_html):
    page = (built_html / "book" / "excitability.html").read_text()
    address = published_address()
    assert f'<meta property="og:url" content="{address}book/excitability.html" />' in page
    assert f'<meta property="og:image" content="{address}_images/' in page
    assert f'<meta property="og:site_name" content="{CONFIG["title"]}" />' in page
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    assert f"https://mybinder.org/v2/gh/{repository}/" in page
    assert f"https://colab.research.google.com/github/{repository}/blob/" in page
    assert f'href="{CONFIG["repository"]["url"]}/issues/new' in page


def pdf_outline(pdf: bytes) -> list[str]:
    """The titles of a PDF's outline (bookmarks), read from its (Flate) streams and objects.

    Enough for the PDFs Chromium writes; not a general PDF reader.
    """
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            chunks.append(zlib.decompress(pdf[match.end():end]))
        except zlib.error:
            pass
    titles = []
    for title in re.findall(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>)", b"\n".join(chunks)):
        if title.startswith(b"<"):
            titles.append(bytes.fromhex(title[1:-1].decode()).decode("utf-16"))
        else:
            titles.append(re.sub(rb"\\(.)", rb"\1", title[1:-1]).decode("latin-1"))
    return titles


def test_the_printed_page_leaves_out_only_the_hidden_code():
    """As myst-nb writes cells: a hide-input cell's code goes, its output and a visible cell's
    code stay; markup with a nested <details> is left as it is."""
    hidden = ('<div class="cell tag_hide-input docutils container">\n'
              '<details class="admonition hide above-input">\n<summary>Show code</summary>\n'
              '<div class="cell_input"><pre>x = "&lt;/details&gt;"</pre></div>\n</details>\n'
              '<div class="cell_output">OUTPUT</div></div>')
    visible = '<div class="cell"><div class="cell_input"><pre>y = 1</pre></div></div>'
    page = print_pdf.without_hidden_code(hidden + visible + hidden)
    assert "x = " not in page and page.count("OUTPUT") == 2 and "y = 1" in page
    nested = hidden.replace("<pre>", "<details><pre>")
    assert print_pdf.without_hidden_code(nested) == nested


def test_the_book_prints_to_a_pdf_with_every_chapter(built_html, tmp_path):
    """``make pdf``'s two steps on a copy of the book: every chapter is in the PDF's outline
    (the bookmarks Chromium makes from the headings), under its numbered title."""
    book_pdf = CONFIG["sphinx"]["config"]["book_pdf"]
    assert f"_build/html/{book_pdf}" in (ROOT / "Makefile").read_text()
    source = copy_book(tmp_path)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    run = subprocess.run([str(jupyter_book), "build", str(source), "--builder", "singlehtml",
                          "-W", "-n", "--keep-going"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    output = tmp_path / book_pdf
    blocked = print_pdf.print_pdf(source / "_build" / "singlehtml", output)
    assert not blocked
    outline = {re.sub(r"\s+", "", title) for title in pdf_outline(output.read_bytes())}
    for chapter in CHAPTERS:
        html = (built_html / "book" / f"{chapter}.html").read_text()
        title = re.search(r'<h1><span class="section-number">(.*?)<a class="headerlink"',
                          html, re.S).group(1)
        title = re.sub(r"<[^>]+>", "", title)
        title = re.sub(r"\s+", "", title)
        # Chromium's outline sometimes repeats a wrapped heading's last words: a prefix match
        assert any(entry.startswith(title) for entry in outline), (title, sorted(outline))


# --- the Colab set-up cell (tools/colab_cell.py) -------------------------------------------------


def test_every_notebook_has_the_current_colab_cell():
    """One cell per notebook, before its parameters, written from _config.yml's repository."""
    assert colab_cell.main(["--check"]) == 0, "run python tools/colab_cell.py"


def test_colab_cell_follows_the_repository_setting():
    source = colab_cell.cell_source("https://github.com/someone/a-fork.git", "dev")
    assert '"https://github.com/someone/a-fork.git"' in source
    assert '"/content/a-fork"' in source and '"--branch", "dev"' in source
    assert '"myst-nb==' in source  # pinned as in requirements.txt


def run_cell(source: str, colab: bool, cwd: Path) -> dict:
    """Run a set-up cell in a fresh Python (with a stand-in ``google.colab`` module when ``colab``),
    then import the library as a chapter would; return where things were found."""
    script = "\n".join([
        "import json, os, sys, types",
        "path_before = list(sys.path)",
        "sys.modules['google.colab'] = types.ModuleType('google.colab')" if colab else "",
        source,
        "import neural_dynamics",
        "from neural_dynamics import results",
        "print(json.dumps({'library': neural_dynamics.__file__, 'data': str(results.data_dir()),",
        "                  'cwd': os.getcwd(), 'path_changed': sys.path != path_before}))",
    ])
    run = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_colab_cell_does_nothing_outside_colab(tmp_path):
    found = run_cell(colab_cell.cell_source(*colab_cell.repository()), colab=False, cwd=tmp_path)
    assert found == {"library": found["library"], "data": str(ROOT / "data"), "cwd": str(tmp_path),
                     "path_changed": False}
    assert not list(tmp_path.iterdir())


def test_colab_cell_in_colab_clones_the_repository_and_uses_its_library(tmp_path):
    """In a stand-in Colab, the cell clones (here a local copy of this repository, by file://),
    and the chapter then imports the clone's library, finds the clone's data/ and runs in its
    book/; run twice, the second run reuses the clone."""
    source_repo = tmp_path / "origin"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(source_repo)], check=True)
    subprocess.run(["git", "-C", str(source_repo), "checkout", "--quiet", "-B", "colab-test"],
                   check=True)
    colab_root = tmp_path / "content"
    colab_root.mkdir()
    source = colab_cell.cell_source(f"file://{source_repo}", "colab-test", str(colab_root))
    checkout = colab_root / "origin"
    for _ in range(2):
        found = run_cell(source, colab=True, cwd=tmp_path)
        assert Path(found["library"]).is_relative_to(checkout / "lib")
        assert found["data"] == str(checkout / "data")
        assert found["cwd"] == str(checkout / "book")
        assert (checkout / "data" / "results").is_dir()
