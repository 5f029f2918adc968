"""Print the book to one PDF, offline: its single-page HTML, printed by headless Chromium.

``make pdf`` builds the single-page HTML (``jupyter-book build . --builder singlehtml``) and
runs ``python tools/print_pdf.py _build/singlehtml _build/html/<book_pdf>``: the page is served
on localhost (requests to other hosts are blocked), printed once MathJax has typeset every
formula, with the PDF's outline (bookmarks) made from the headings. Chromium is the Debian
package ``chromium`` (``make setup``); Playwright drives it and downloads nothing.

Jupyter Book writes the single page at the root document's path (``book/intro.html``) with
links relative to the build's root, so the page is copied to the root before printing.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT_PAGE = "book/intro.html"

# Hide the code of cells tagged hide-input (and the toggle buttons) in print, as on screen.
PRINT_CSS = """@media print {
  details.above-input, .tag_hide-input .cell_input, .tag_hide-cell { display: none !important; }
}"""
# The hidden code of the hide-input and hide-cell cells, as myst-nb writes it: one <details>
# element each, whose code sits in a <pre> (where any "<" is escaped), so the first </details>
# closes it. PRINT_CSS hides these anyway; removing them first spares Chromium parsing them (most
# of the single page's 3 MB), about a third of the page's loading time.
HIDDEN_CODE = re.compile(r'<details class="admonition hide above-input">.*?</details>', re.S)


def without_hidden_code(html: str) -> str:
    """The page without the hidden cells' code (``HIDDEN_CODE``); unchanged if any match would
    hold a nested <details>, i.e. if the markup is not what this expects."""
    found = HIDDEN_CODE.findall(html)
    if any("<details" in match[len("<details"):] for match in found):
        return html
    return HIDDEN_CODE.sub("", html)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise SystemExit("print_pdf: Chromium is missing; install the Debian package as root: "
                         "apt-get install -y chromium (make setup does so as root)")
    return path


def print_pdf(singlehtml: Path, output: Path) -> list[str]:
    """Print ``singlehtml``'s book to ``output``; return the URLs it tried to fetch elsewhere."""
    from playwright.sync_api import sync_playwright

    page_file = singlehtml / ROOT_PAGE
    if not page_file.is_file():
        raise SystemExit(f"print_pdf: no {page_file}: build it first with "
                         "jupyter-book build . --builder singlehtml")
    (singlehtml / "print.html").write_text(without_hidden_code(page_file.read_text(
        encoding="utf-8")), encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(singlehtml))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local, blocked = f"127.0.0.1:{server.server_address[1]}", []

    def route(route):
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
            context.route("**/*", route)
            page = context.new_page()
            page.goto(f"http://{local}/print.html", wait_until="load")
            page.evaluate("async () => { if (window.MathJax?.startup?.promise)"
                          " await MathJax.startup.promise; }")
            page.add_style_tag(content=PRINT_CSS)
            output.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(output), format="A4", print_background=True, outline=True,
                     tagged=True, margin={"top": "15mm", "bottom": "15mm",
                                          "left": "12mm", "right": "12mm"})
            context.close()
    finally:
        server.shutdown()
        server.server_close()
        (singlehtml / "print.html").unlink(missing_ok=True)
    return blocked


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("singlehtml", type=Path, help="the single-page HTML build folder")
    parser.add_argument("output", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    blocked = print_pdf(args.singlehtml, args.output)
    for url in blocked:
        print(f"print_pdf: blocked a request to another host: {url}")
    print(f"print_pdf: wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
