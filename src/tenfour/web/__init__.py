"""The product's faces: the dispatcher console, the officer MDT, the public tip page
and the staff login, as static HTML, CSS and JavaScript modules (no build step).

``pages/`` holds the HTML documents (served by ``tenfour.api.web`` at ``/console``,
``/mdt``, ``/tip`` and ``/login``), ``static/`` the CSS and JavaScript served at
``/static``. :mod:`tenfour.web.drawing` turns the road graph into the compact
polylines the map draws.
"""

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
PAGES_DIR = WEB_DIR / "pages"
STATIC_DIR = WEB_DIR / "static"

__all__ = ["PAGES_DIR", "STATIC_DIR", "WEB_DIR"]
