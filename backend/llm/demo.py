"""Demo mode's local responder: short, deterministic, in-character replies built from a profile.

Used when no API key is set, so the product works end to end; replies are recorded with model
`demo` at zero cost and the UI labels them as demo.
"""

from __future__ import annotations

import hashlib
from typing import Protocol


class DemoProfile(Protocol):
    """What the responder reads of a client (its read model; `opening_line` too when it has one)."""

    @property
    def name(self) -> str: ...
    @property
    def presenting_concern(self) -> str: ...
    @property
    def communication_style(self) -> str: ...
    @property
    def personality_traits(self) -> list[str]: ...


STYLE_OPENERS = {
    "plain": "",
    "upset": "Honestly, this is hard to talk about. ",
    "verbose": "Well, where do I even begin... ",
    "reserved": "",
    "tangent": "Funny, that reminds me of something else, but anyway. ",
    "pleasing": "Sorry, I hope this is the kind of thing you want to hear. ",
}

REPLIES = [
    "I guess the main thing is {concern_lower}",
    "I don't really know how to explain it. It's been building up for a while.",
    "People keep telling me to just get over it, but it isn't that simple.",
    "I'm not sure I want to get into all of that yet.",
    "Some days are better than others. Today is... not one of the better ones.",
    "I suppose I came because I didn't know what else to do.",
]


def demo_reply(profile: DemoProfile | None, messages: list[dict]) -> str:
    """A reply that depends only on the profile and the conversation so far."""
    turn = sum(1 for message in messages if message["role"] == "user")
    if profile is None:
        return "I'm not sure where to start. [Demo mode: no API key is set.]"
    opening_line: str | None = getattr(profile, "opening_line", None)
    if turn <= 1 and opening_line:
        text = opening_line
    else:
        last = messages[-1]["content"] if messages else ""
        last = last if isinstance(last, str) else " ".join(b.get("text", "") for b in last)
        digest = hashlib.sha256(f"{profile.name}|{turn}|{last}".encode()).digest()
        template = REPLIES[digest[0] % len(REPLIES)] if turn > 1 else REPLIES[0]
        concern = (profile.presenting_concern or "things have been hard lately.").strip()
        concern_lower = concern[0].lower() + concern[1:] if concern else concern
        opener = STYLE_OPENERS.get(str(profile.communication_style), "")
        text = opener + template.format(concern_lower=concern_lower)
    if "reserved" in str(profile.communication_style) or "guarded" in profile.personality_traits:
        text = text.split(". ")[0].rstrip(".") + "."
    return text
