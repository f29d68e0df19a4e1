"""The review web page (``brandkit review serve``): Starlette + jinja2 templates, served by uvicorn.

See :mod:`brandkit.review_web.app` for the pages, :mod:`brandkit.review_web.security` for the token, session and
CSRF rules, :mod:`brandkit.review_web.files` for what images may be served, :mod:`brandkit.review_web.charts` for
the report's SVG charts and :mod:`brandkit.review_web.server` for starting it.
"""

from brandkit.review_web.app import ReviewConfig, create_app
from brandkit.review_web.security import AccessPolicy
from brandkit.review_web.server import serve

__all__ = ["AccessPolicy", "ReviewConfig", "create_app", "serve"]
