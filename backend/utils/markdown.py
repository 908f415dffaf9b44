"""Text people wrote, made safe to show as Markdown (in the app, and in exported transcripts).

Nothing a person typed may load an image from another site (a tracking pixel) or become a link
(phishing): brackets, HTML, code and math are escaped, and the bare addresses that
GitHub-flavoured Markdown links by itself after parsing get an invisible word joiner.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$@=&])")
# What Markdown syntax can fetch or point elsewhere: link and image brackets, code (escapes do not
# work inside it), raw HTML and <autolinks>, and math ($).
_LINKING = re.compile(r"[\\`\[\]<>$]")
# GitHub-flavoured Markdown also turns bare addresses into links *after* parsing (escapes do not
# stop it): an invisible word joiner inside each "scheme://", "www." and "@" keeps them text.
_BARE_LINK = re.compile(
    r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)|(?<=\bmailto)(?=:)|(?<=\bxmpp)(?=:)"
    r"|(?=@)"
)
WORD_JOINER = "\u2060"


def _unlinked(text: str) -> str:
    return _BARE_LINK.sub(WORD_JOINER, text)


def escape_markdown(text: str) -> str:
    """Show typed text literally inside Markdown (alerts, captions, labels): no formatting, no
    links."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _unlinked(str(text)))


def safe_markdown(text: str | None) -> str:
    """Text a person (or the model) wrote, made safe for `st.markdown`, captions and labels.

    Emphasis, lists and line breaks still work; images, links, bare web and e-mail addresses, raw
    HTML, code and math show as the characters typed, so nothing loads from another site and no
    link can be clicked. Use it for every piece of user-written text a page shows.
    """
    return _LINKING.sub(lambda found: "\\" + found.group(0), _unlinked(str(text or "")))


def as_typed(text: str | None) -> str:
    """A student's message for `st.markdown`, shown as it was typed: every character literal (no
    emphasis from "3*4*5", no heading or rule from "---") and every line break kept (Markdown
    joins two lines typed with Shift+Enter into one). What the teacher reads and assesses is
    then what the student wrote. A line's indentation is kept as no-break spaces: four spaces or
    a tab would make a code block, which shows the escapes as backslashes."""
    lines = escape_markdown(str(text or "")).replace("\r\n", "\n").split("\n")
    return "  \n".join(_INDENT.sub(_no_break, line) for line in lines)


_INDENT = re.compile(r"^[ \t]+")
NO_BREAK_SPACE = "\u00a0"


def _no_break(indent: re.Match[str]) -> str:
    return indent.group().replace("\t", "    ").replace(" ", NO_BREAK_SPACE)
