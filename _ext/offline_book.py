"""Sphinx extension that keeps the book self-contained.

Jupyter Book always loads sphinx-thebe, which adds an inline script naming a
CDN copy of thebe (and, in this version, adds it twice, a console error).
The book has no live kernel to launch, so thebe's event handlers are
disconnected before any page is read: no page refers to the network.
"""


def _disconnect_thebe(app, config):
    # Its static files stay (its stylesheet is linked from every page); its
    # scripts and per-page configuration go.
    for event, listeners in list(app.events.listeners.items()):
        if event == "builder-inited":
            continue
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def setup(app):
    app.connect("config-inited", _disconnect_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
