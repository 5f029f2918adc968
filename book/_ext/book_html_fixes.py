"""Fixes to the HTML that Jupyter Book 1.0.4 and its themes emit, and the book's published address.

Loaded by ``_config.yml`` (``sphinx: local_extensions``). Each fix says why it is needed;
``tests/test_browser.py`` opens every page in Chromium and fails on any console error.

1. **Duplicated inline scripts.** Jupyter Book 1.0.4 registers sphinx-thebe's (and
   sphinx-togglebutton's) inline ``<script>`` twice, so every page declares
   ``const THEBE_JS_URL`` twice and the browser throws ``SyntaxError: Identifier
   'THEBE_JS_URL' has already been declared`` (a fresh ``jupyter-book create`` book does the
   same): one copy is registered with file name ``None``, the other with ``""``, so Sphinx
   does not see them as equal. Each page keeps the first of the scripts with the same file
   (``None`` and ``""`` alike: inline) and the same attributes (the inline body included).
2. **"Got invalid theme mode".** pydata-sphinx-theme reads the light/dark mode from the
   template variable ``default_mode``; nothing sets it, the page starts with mode ``""``, and
   the theme's script logs ``Got invalid theme mode: . Resetting to auto.`` as a console
   error. Setting ``default_mode`` to ``"auto"`` (the theme's documented default: follow the
   reader's system) gives it a valid value.
3. **One place for the repository's address.** ``repository.url`` in ``_config.yml`` names
   the GitHub repository; unless ``html.baseurl`` is set (e.g. for a custom domain), the
   published address is derived from it as GitHub Pages serves it,
   ``https://OWNER.github.io/REPO/``, and used by the sitemap (sphinx-sitemap) and the Open
   Graph tags (sphinxext-opengraph, ``ogp_site_url``), so that a fork changes one line.
4. **The book as a PDF.** ``make pdf`` prints the whole book to ``_build/html/<book_pdf>``
   (``tools/print_pdf.py``); when ``book_pdf`` is set, every page's download menu links to it.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.config import Config

GITHUB_REPOSITORY = re.compile(r"https://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?")


def pages_url(repository_url: str) -> str:
    """The GitHub Pages address of a GitHub repository, ``https://OWNER.github.io/REPO/``.

    A repository named ``OWNER.github.io`` is served at the root, ``https://OWNER.github.io/``.
    """
    match = GITHUB_REPOSITORY.fullmatch(repository_url.strip())
    if match is None:
        raise ValueError(f"repository.url = {repository_url!r}: must be "
                         "https://github.com/OWNER/REPO, or set html.baseurl in _config.yml")
    owner, repo = match["owner"], match["repo"]
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{repo}/"


def set_published_address(app: Sphinx, config: Config) -> None:
    """Derive ``html_baseurl`` from the repository unless set; Open Graph uses the same."""
    if not config.html_baseurl:
        repository_url = config.html_theme_options.get("repository_url", "")
        if repository_url:
            config.html_baseurl = pages_url(repository_url)
    if config.html_baseurl and not config.html_baseurl.endswith("/"):
        config.html_baseurl += "/"
    if getattr(config, "ogp_site_url", None) == "":
        config.ogp_site_url = config.html_baseurl
    config.html_context.setdefault("default_mode", "auto")  # fix 2


def drop_duplicate_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Keep the first of identical ``<script>`` entries of a page (fix 1)."""
    scripts = context.get("script_files")
    if scripts:
        unique = {}
        for script in scripts:
            key = (script.filename or "", tuple(sorted(script.attributes.items())))
            unique.setdefault(key, script)
        context["script_files"] = list(unique.values())


def link_book_pdf(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Add the whole book's PDF to the page's download menu (fix 4)."""
    if not app.config.book_pdf:
        return
    link = {"type": "link", "url": context["pathto"](app.config.book_pdf, 1),
            "text": "book .pdf", "tooltip": "Download the whole book (PDF)",
            "icon": "fas fa-book", "label": "download-book-pdf-button"}
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(link)
            return
    context.setdefault("header_buttons", []).append(
        {"type": "group", "tooltip": "Download", "icon": "fas fa-download",
         "buttons": [link], "label": "download-buttons"})


def setup(app: Sphinx) -> dict:
    app.add_config_value("book_pdf", "", "html", types=frozenset({str}))
    # after sphinx-book-theme's header buttons (priority 501)
    app.connect("html-page-context", link_book_pdf, priority=900)
    # after sphinxext-opengraph and sphinx-sitemap have declared their settings
    app.connect("config-inited", set_published_address, priority=900)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
