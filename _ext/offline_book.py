"""Sphinx extension that keeps the book self-contained.

Jupyter Book always loads sphinx-thebe, which adds an inline script naming a
CDN copy of thebe (and, in this version, adds it twice, a console error).
The book has no live kernel to launch, so thebe's event handlers are
disconnected before any page is read: no page refers to the network.

sphinx-book-theme offers a chapter's executed notebook (".ipynb") in the
download menu only when a launch provider (Binder, JupyterHub, Colab, ...)
is configured, and the book configures none.  So this extension does what
the theme would: for every page that is a MyST Markdown notebook it copies
the notebook myst-nb executed (``<build>/jupyter_execute/<page>.ipynb``,
outputs included) to ``_sources/<page>.ipynb`` in the HTML output and names
it in the page context, before the theme builds its header buttons.
"""

import shutil
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

# sphinx-book-theme builds the header buttons (the download menu among them)
# in html-page-context handlers of priority 501; this one must run first.
IPYNB_PRIORITY = 450


def _disconnect_thebe(app, config):
    # Its static files stay (its stylesheet is linked from every page); its
    # scripts and per-page configuration go.
    for event, listeners in list(app.events.listeners.items()):
        if event == "builder-inited":
            continue
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _offer_executed_notebook(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or pagename not in app.env.metadata:
        return
    if not context.get("sourcename", "").endswith((".md", ".md.txt")):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if "kernelspec" not in app.env.metadata[pagename] and not executed.exists():
        return  # a plain Markdown page, not a notebook
    if not executed.exists():
        LOGGER.warning("%s is a notebook but myst-nb wrote no executed copy at %s", pagename, executed)
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    app.connect("config-inited", _disconnect_thebe)
    app.connect("html-page-context", _offer_executed_notebook, priority=IPYNB_PRIORITY)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
