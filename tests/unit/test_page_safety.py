"""What the pages send to the browser: user text without live markup, served settings, favicon."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mvp.ui import WORD_JOINER, escape_markdown, safe_markdown

ROOT = Path(__file__).resolve().parents[2]


NASTY = [
    "![x](http://evil/p.png)",
    "[click](https://evil)",
    "<http://evil/a> <img src=x>",
    "see www.evil.com or HTTP://x",
    "mail me: me@evil.com",
    "`code` and $x$ and \\[",
    "[a][1]\n\n[1]: http://evil",
    "mailto:me@evil.com xmpp:u@evil.com",
]
#: Markup that would link or load: an unescaped bracket or "<", a scheme directly followed by
#: "://", "www." or an address with "@" (GitHub-flavoured Markdown links those by itself).
LIVE = re.compile(r"(?<!\\)[\[\]<`$]|[A-Za-z]:\/\/|[A-Za-z]\\?:\\?/|\bwww\\?\.|[\w.+-]\\?@", re.I)


def as_read(markdown: str) -> str:
    """What the reader sees: backslash escapes and invisible word joiners removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


@pytest.mark.parametrize("typed", NASTY)
def test_safe_markdown_shows_links_and_images_as_the_text_typed(typed):
    shown = safe_markdown(typed)
    assert not LIVE.search(shown), shown
    assert as_read(shown) == typed


@pytest.mark.parametrize("typed", NASTY)
def test_escape_markdown_leaves_nothing_that_can_link(typed):
    shown = escape_markdown(typed)
    assert not LIVE.search(shown), shown
    assert as_read(shown) == typed


def test_safe_markdown_keeps_emphasis():
    assert safe_markdown("**Still bold**, _still_ emphasis") == "**Still bold**, _still_ emphasis"


def test_served_settings_protect_forms_and_document_the_address():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True  # Streamlit needs CORS protection with XSRF
    assert "server.address" in (ROOT / "README.md").read_text()
    assert "X-Frame-Options" in (ROOT / "README.md").read_text()


def test_the_favicon_is_a_local_file_not_a_font_from_another_site():
    app = (ROOT / "mvp" / "app.py").read_text()
    icon = re.search(r"st\.set_page_config\([^)]*page_icon=([^,)]+)", app).group(1)
    assert ":material/" not in icon
    assert (ROOT / "mvp" / "static" / "favicon.png").is_file()
