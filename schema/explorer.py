"""Offline GraphiQL explorer assets.

The explorer's JavaScript and CSS are vendored from npm into ``static/graphiql/``
next to this module by ``scripts/vendor_graphiql.sh`` (versions and licences are
listed in ``static/graphiql/VERSIONS.txt``), so the explorer works on networks with
no internet access: nothing is loaded from a CDN.

The web app is expected to serve :data:`STATIC_DIR` at the URL prefix
``/graphiql/static/`` and to answer a browser ``GET /graphql`` with
:func:`graphiql_html`. The page sends queries as JSON ``POST`` requests to
``/graphql``.
"""

from __future__ import annotations

import functools
import importlib.resources
import pathlib

__all__ = ["STATIC_DIR", "graphiql_html"]

STATIC_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parent / "static" / "graphiql"
"""Folder holding the vendored explorer files and ``index.html``."""


@functools.cache
def graphiql_html() -> str:
    """Return the explorer page (``static/graphiql/index.html``) as text.

    The file is read once, through :mod:`importlib.resources` when this module is
    imported as part of a package, and the text is cached for later calls.
    """
    if __package__:
        resource = (
            importlib.resources.files(__package__)
            .joinpath("static")
            .joinpath("graphiql")
            .joinpath("index.html")
        )
        return resource.read_text(encoding="utf-8")
    # Imported as a top-level module (no package): read the file beside it.
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")
