"""The built book in a real browser: headless Chromium (the system's), driven by Playwright.

The book (the build shared with tests/test_book.py) is served on localhost; every request to
another host is blocked and recorded. On every page: no console error and no uncaught page
error, MathJax typesets every formula offline without an error, every image loads and has alt
text, nothing is requested from the network. The search page finds chapters by words from
them; the landing table shows the glued numbers. Links and anchors between pages are checked
without the browser, by parsing the HTML files.

Chromium is the Debian package ``chromium`` (``make setup`` installs it where missing); the
tests never download a browser. Without it they are skipped with a message saying so.
"""

import functools
import http.server
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from conftest import ROOT
from notebooks import shared_build

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHAPTERS = ["excitability", "adaptation", "synchrony", "neural_mass", "cross_scale"]
BOOK_PDF = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["book_pdf"]
"""The PDF every page links to: written by ``make pdf``, tested in tests/test_publishing.py."""
SEARCHES = {"rheobase": "excitability", "Jansen": "neural_mass"}
"""A word to search for, and a chapter whose page must be among the results."""

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}: run `make setup` (installs the Debian package "
                "chromium) to run the browser tests", allow_module_level=True)


@pytest.fixture(scope="module")
def built_html(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory)


def pages(html: Path) -> list[Path]:
    """Every HTML page of the build (the sources' copies under ``_sources`` excluded)."""
    return sorted(p for p in html.rglob("*.html") if "_sources" not in p.parts
                  and "_static" not in p.parts)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(built_html):
    """The built book served on 127.0.0.1 (a free port) from a thread; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(built_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    """A Chromium context with a fresh profile; requests to other hosts are blocked and kept
    in ``context.blocked``."""
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS, service_workers="block")
        context.blocked = []
        local = urlsplit(site).netloc

        def route(route):
            if urlsplit(route.request.url).netloc == local:
                route.continue_()
            else:
                context.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        yield context
        context.close()


# Waits for MathJax (if the page loads it) to finish, then reports what it made of each formula.
MATH_REPORT = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const formulas = [...document.querySelectorAll('.math')];
  return {
    formulas: formulas.length,
    untypeset: formulas.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent),
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error')
                                                               || e.textContent),
  };
}"""

IMAGE_REPORT = """async () => {
  const images = [...document.images];
  await Promise.all(images.map(i => i.complete ? null : new Promise(done => {
    i.addEventListener('load', done); i.addEventListener('error', done); })));
  return images.map(i => ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,
                           alt: (i.getAttribute('alt') || '').trim()}));
}"""


def open_page(browser, url: str):
    """Open ``url``; return the page and the console errors and page errors it produced."""
    page = browser.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error"
            and errors.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(url, wait_until="load")
    return page, errors


def test_every_page_runs_without_errors_renders_math_and_images_offline(built_html, site,
                                                                        browser):
    problems, formulas = [], 0
    for path in pages(built_html):
        if 'http-equiv="refresh"' in path.read_text().lower():
            continue  # index.html only redirects to the landing page
        name = path.relative_to(built_html).as_posix()
        page, errors = open_page(browser, site + name)
        math = page.evaluate(MATH_REPORT)
        images = page.evaluate(IMAGE_REPORT)
        page.wait_for_timeout(50)  # let late console messages arrive
        page.close()
        formulas += math["formulas"]
        problems += [f"{name}: {error}" for error in errors]
        problems += [f"{name}: MathJax error {error!r}" for error in math["errors"]]
        problems += [f"{name}: formula not typeset: {tex[:80]!r}" for tex in math["untypeset"]]
        problems += [f"{name}: image {i['src']} did not load" for i in images if not i["loaded"]]
        problems += [f"{name}: image {i['src']} has no alt text" for i in images if not i["alt"]]
    problems += [f"request to another host: {url}" for url in browser.blocked]
    assert not problems, "\n".join(problems)
    assert formulas > 50  # the chapters' equations were found (and typeset)


@pytest.mark.parametrize("word, chapter", SEARCHES.items())
def test_search_finds_a_chapter_by_a_word_from_it(built_html, site, browser, word, chapter):
    assert word.lower() in (built_html / "book" / f"{chapter}.html").read_text().lower()
    page, errors = open_page(browser, f"{site}search.html?q={word}")
    page.wait_for_function("() => /Search finished|did not match/"
                           ".test(document.querySelector('.search-summary')?.innerText)",
                           timeout=15_000)
    found = page.eval_on_selector_all("#search-results ul.search li a",
                                      "links => links.map(a => a.getAttribute('href'))")
    page.close()
    assert any(f"book/{chapter}.html" in href for href in found), found
    assert not errors, errors


def test_landing_table_shows_the_glued_numbers(site, browser):
    page, errors = open_page(browser, site + "book/intro.html")
    rows = page.eval_on_selector_all(
        "table tbody tr", """rows => rows.map(r => ({
            chapter: r.cells[0].innerText.trim(),
            glued: [...r.cells[1].querySelectorAll('.pasted-text')].map(s => s.innerText)}))""")
    page.close()
    assert [r["chapter"] for r in rows][:1] == ["Single-neuron excitability"]
    assert len(rows) >= len(CHAPTERS)
    for row in rows:
        assert row["glued"], f"no glued value in the row {row['chapter']!r}"
        assert any(re.search(r"\d", text) for text in row["glued"]), row
        assert not any(re.search(r"\b(nan|inf)\b", text, re.I) for text in row["glued"]), row
    assert not errors, errors


class Links(HTMLParser):
    """The ids a page defines and the local links (href, src) it makes."""

    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.links.append(attrs[key])


def test_internal_links_and_anchors_resolve(built_html):
    parsed = {}
    for path in pages(built_html):
        parsed[path] = Links()
        parsed[path].feed(path.read_text())
    broken, checked = [], 0
    for path, page in parsed.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("javascript:", "mailto:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if target == built_html / BOOK_PDF:
                continue
            if not target.is_file():
                broken.append(f"{path.relative_to(built_html)}: {link} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(built_html)}: {link} (no such anchor)")
    assert not broken, "\n".join(broken)
    assert checked > 100
