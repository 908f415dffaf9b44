"""Teacher: the client form's fields (who the client is, their manner, their story), each with
its message when a save was refused.
"""

from __future__ import annotations

import streamlit as st

from backend.clients import prompt_service
from backend.models.enums import PERSONALITY_TRAITS, CommunicationStyle, Difficulty
from mvp import ui

STYLE_HINTS = {  # with how long the style's replies are (the cap sent with every reply)
    style: f"{hint} · {prompt_service.reply_length_hint(style)}"
    for style, hint in {
        CommunicationStyle.plain: "plain: answers directly",
        CommunicationStyle.upset: "upset: irritable, quick to feel judged",
        CommunicationStyle.verbose: "verbose: long, detailed answers",
        CommunicationStyle.reserved: "reserved: short answers, needs drawing out",
        CommunicationStyle.tangent: "tangent: drifts to other topics",
        CommunicationStyle.pleasing: "pleasing: says what you want to hear",
    }.items()
}


def who_fields(errors: dict[str, str]) -> None:
    """Name, age, pronouns, occupation, background and traits, in two columns."""
    left, right = st.columns(2)
    with left:
        st.text_input("Name *", key="client_name", max_chars=100)
        ui.field_error(errors, "name")
        # No min/max on the widget: the browser would refuse out-of-range ages silently
        # (a hint on hover); the service says why under the field instead.
        st.number_input(
            "Age",
            key="client_age",
            step=1,
            placeholder="optional",
            help="Between 5 and 110 (optional).",
        )
        ui.field_error(errors, "age")
        st.text_input("Gender / pronouns", key="client_gender", max_chars=60)
        ui.field_error(errors, "gender")
    with right:
        st.text_input("Occupation", key="client_occupation", max_chars=120)
        ui.field_error(errors, "occupation")
        st.text_input("Cultural background", key="client_cultural_background", max_chars=200)
        ui.field_error(errors, "cultural_background")
        st.multiselect(
            "Personality traits * (choose 2 to 5)",
            PERSONALITY_TRAITS,
            key="client_personality_traits",
            max_selections=5,
        )
        ui.field_error(errors, "personality_traits")


def manner_fields(errors: dict[str, str]) -> None:
    style, difficulty = st.columns(2)
    with style:
        st.selectbox(
            "Communication style",
            [s.value for s in CommunicationStyle],
            key="client_communication_style",
            format_func=lambda value: STYLE_HINTS[CommunicationStyle(value)],
        )
        ui.field_error(errors, "communication_style")
    with difficulty:
        st.selectbox(
            "Difficulty",
            [d.value for d in Difficulty],
            key="client_difficulty",
            format_func=str.capitalize,
        )
        ui.field_error(errors, "difficulty")


STORY_FIELDS = (
    (
        "presenting_concern",
        "Presenting concern",
        "Why the client comes in, in their words or yours. Its first sentence is on the card "
        "students see.",
    ),
    ("background", "Background", "History, family, work: what shaped them."),
    ("challenges", "Challenges in the conversation", "What makes this client hard to help."),
    (
        "learning_goals",
        "Learning goals",
        "What students should practise. Shown to students on the client's card.",
    ),
    (
        "hidden_information",
        "Hidden information",
        "Revealed only when a student earns trust. Never shown to students.",
    ),
)


def story_fields(errors: dict[str, str]) -> None:
    """The client's story, the opening line and when the hidden information may come out."""
    for field, label, help_text in STORY_FIELDS:
        st.text_area(label, key=f"client_{field}", help=help_text, max_chars=4000, height=90)
        ui.field_error(errors, field)
    st.text_input(
        "Opening line (optional)",
        key="client_opening_line",
        max_chars=1000,
        help="The client's first words when a student says hello.",
    )
    ui.field_error(errors, "opening_line")
    st.number_input(
        "Hidden information may be said word for word after this many student turns (empty: never)",
        key="client_hidden_reveal_after_turns",
        step=1,
        placeholder="never",
        help="Until then (or never), a reply that repeats the hidden "
        "information is held back and the client stays in character.",
    )
    ui.field_error(errors, "hidden_reveal_after_turns")
