"""Mail bodies from the Jinja2 templates beside this module: `<name>.html` and `<name>.txt`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.config import get_settings

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # HTML escapes every value (names are the users' own text); plain text must not.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing value fails loudly rather than mailing a blank
        keep_trailing_newline=True,
    )


def render(template: str, *, subject: str, context: dict[str, Any]) -> tuple[str, str]:
    """The (plain text, HTML) bodies of `template` with `context`."""
    settings = get_settings()
    values = {
        "app_name": "Teliporter",
        "base_url": settings.APP_BASE_URL,
        "subject": subject,
        **context,
    }
    env = _environment()
    text = env.get_template(f"{template}.txt").render(values)
    html = env.get_template(f"{template}.html").render(values)
    return text, html


def link(path: str, **query: str) -> str:
    """An absolute link into the web app (APP_BASE_URL)."""
    from urllib.parse import urlencode

    base = get_settings().APP_BASE_URL
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")
