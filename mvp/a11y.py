"""WCAG 2.1 AA fixes the theme cannot make, drawn once per run (`install`), and the two things a
screen-reader user needs from a run: hearing what arrived (`announce`) and keeping the focus when
the control they used goes away (`focus`).

- Contrast: Streamlit draws captions and blockquotes at 60% opacity (3.9:1 on white); they get
  a solid darker grey here (5.5:1 or more on every background the app uses).
- The sidebar navigation: Streamlit (1.67) puts each section's header and links in a `<div>`
  directly inside the `<ul>` (axe `list`, `listitem`). The script gives the `<ul>` no role and each
  section `<div>` the role of a list named by its header, so every link is a list item of its
  section, as sighted users see it. Attributes only: React keeps its own nodes.
- One polite live region (`role="status"`) outside Streamlit's tree, so it survives reruns: a
  marker drawn by `announce` puts its text there once; `focus` markers move the focus once.
  The region sits in a closed shadow root: screen readers (the accessibility tree) get its
  words, while the page's own text (find-in-page, copying, browser tests by text) has them once.
Markers carry text in an escaped attribute (st.html sanitises it too), never as script.
"""

from __future__ import annotations

import html

import streamlit as st

STYLES = """
.st-key-a11y, [data-testid="stElementContainer"]:has(.a11y-announce, .a11y-focus) { display: none }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] > p,
[data-testid="stCaptionContainer"] code { color: #5f5e5c !important; opacity: 1 !important }
[data-testid="stMarkdownContainer"] blockquote,
[data-testid="stMarkdownContainer"] blockquote p { color: #474543 !important; opacity: 1 !important }
#a11y-announcer { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap }
"""

SCRIPT = """
(() => {
  if (window.a11yInstalled) return;
  window.a11yInstalled = true;
  const host = document.createElement("div"), region = document.createElement("div");
  host.id = "a11y-announcer";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  host.attachShadow({ mode: "closed" }).appendChild(region);
  document.body.appendChild(host);
  const fixNavigation = () => {
    const list = document.querySelector('[data-testid="stSidebarNavItems"]');
    if (!list) return;
    if (list.getAttribute("role") !== "none") list.setAttribute("role", "none");
    for (const section of list.querySelectorAll(":scope > div")) {
      if (section.getAttribute("role") === "list") continue;
      section.setAttribute("role", "list");
      const header = section.querySelector(":scope > header");
      if (header) {
        header.setAttribute("role", "none");
        section.setAttribute("aria-label", header.innerText.trim());
      }
    }
  };
  const announce = () => {
    for (const marker of document.querySelectorAll(".a11y-announce:not([data-done])")) {
      marker.setAttribute("data-done", "");
      region.textContent = marker.dataset.text;
    }
  };
  const focus = () => {
    for (const marker of document.querySelectorAll(".a11y-focus:not([data-done])")) {
      const target = document.querySelector(marker.dataset.target);
      if (!target) continue;  // not drawn yet: the next change tries again
      marker.setAttribute("data-done", "");
      if (!target.matches("a, button, input, textarea, select, [tabindex]")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  };
  const update = () => { fixNavigation(); announce(); focus(); };
  new MutationObserver(update).observe(document.body, { childList: true, subtree: true });
  update();
})();
"""


FOCUS_KEY = "_a11y_focus"  # where the focus goes in the next run (a CSS selector)


def install() -> None:
    """The styles and the script above; every run draws them first (a run that stops early
    keeps them), with the focus move the last run asked for."""
    with st.container(key="a11y"):
        st.html(f"<style>{STYLES}</style><script>{SCRIPT}</script>", unsafe_allow_javascript=True)
        if selector := st.session_state.pop(FOCUS_KEY, None):
            focus(selector)


def focus_next_run(selector: str) -> None:
    """After the rerun that follows, move the focus to what `selector` finds (`focus`)."""
    st.session_state[FOCUS_KEY] = selector


def announce(text: str) -> None:
    """Have screen readers say `text` (politely, after what they are saying)."""
    st.html(f'<div class="a11y-announce" data-text="{html.escape(text)}"></div>')


def focus(selector: str) -> None:
    """Move the focus to the element `selector` finds, once it is drawn (for content that
    replaces the control just used, which would leave the focus on the page's body)."""
    st.html(f'<div class="a11y-focus" data-target="{html.escape(selector)}"></div>')
