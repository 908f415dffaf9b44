"""One ready review as students and teachers see it: scores, quotes, better replies, the goal,
the counted indicators, and the session's one transcript beside them, every cited turn
highlighted; each "turn 9" the review cites links to that turn of the transcript."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.errors import AppError
from backend.models.enums import MessageRole
from backend.practice.read_models import MessageRead
from backend.reviews import indicators as counted
from backend.reviews import progress_service, review_service
from backend.reviews.read_models import ReviewContent, ReviewRead
from backend.reviews.rubric_schema import RubricDefinition
from mvp import auth, store, ui
from mvp.review_indicators import counted_indicators

safe = ui.safe_markdown  # every piece of text a person (or the model) wrote goes through it

DEMO_LABEL = "Automatic demo review"
CITED = ":orange-badge[cited]"
RATE_HINT = "Rate single replies of the client with a thumb up or down."

#: Draws "Practise this moment" for a student turn: (turn, widget key).
Practise = Callable[[int, str], None]
#: Draws the drill a review suggests (the student's page after a session).
Drill = Callable[[ReviewContent, RubricDefinition], None]


def cited_turns(content: ReviewContent) -> set[int]:
    """Every turn a score, a strength or a "try instead" item rests on."""
    turns = {turn for score in content.scores for turn in score.turns}
    turns |= {item.turn for item in content.strengths}
    return turns | {item.turn for item in content.try_instead}


def anchor(session_id: int, turn: int) -> str:
    """The id of a turn of the transcript, which the review's turn numbers link to."""
    return f"turn-{session_id}-{turn}"


def turn_link(session_id: int, turn: int, text: str | None = None) -> str:
    """'turn 9' (or `text`), linked to turn 9 of the transcript beside the review."""
    return f"[{text or f'turn {turn}'}](#{anchor(session_id, turn)})"


#: A review that could not read its session, as its teacher reads it (its goal is the student's).
NOT_ENGLISH_TO_TEACHER = (
    "This automatic review reads English only, and this session is not in English, so it gives "
    "no ratings, strengths or better replies. Read the transcript; the student reads your own "
    "version of the review once you write and release it."
)


def render_review(
    review: ReviewRead,
    messages: list[MessageRead],
    *,
    show_hidden_info_turn: bool,
    rubric: RubricDefinition | None = None,
    footer: Callable[[MessageRead], None] | None = None,
    practise: Practise | None = None,
    drill: Drill | None = None,
) -> None:
    """One ready review beside the session's transcript (nothing is drawn for a review without
    content); its `rubric` is read here unless the caller has it; `footer` draws widgets under
    each of the client's replies (the student's thumbs), `practise(turn, key)` a "Practise this
    moment" button under each "try instead" item and each of the student's turns, `drill` the
    drill for the review's weakest skill under its goal."""
    content = review.content
    if content is None:
        return
    rubric = rubric or _rubric(review.session_id)
    risk_notices(content, for_teacher=show_hidden_info_turn)
    unread = content.not_english and review.teacher_content is None
    if review.demo:
        st.info(
            f"**{DEMO_LABEL}**, by the offline coder, not by a model or a teacher."
            if unread  # it coded and scored nothing (the warning below says why)
            else f"**{DEMO_LABEL}.** Coded by the offline coder (learned from expert-coded "
            "counseling sessions, with documented rules on top) and scored by counting, not by "
            "a model or a teacher: a guide, not a grade.",
            icon=":material/smart_toy:",
        )
    if show_hidden_info_turn:
        teacher_notes(review, content)
    if review.by_teacher and not show_hidden_info_turn:  # a student reads their teacher's version
        st.success("**Reviewed by your teacher.**", icon=":material/verified:")
    left, right = st.columns([3, 2], gap="large")
    with left:
        if unread:  # no findings
            said = NOT_ENGLISH_TO_TEACHER if show_hidden_info_turn else safe(content.goal)
            st.warning(said, icon=":material/translate:")
        else:
            _findings(review, content, rubric, practise=practise, drill=drill)
    with right:
        _transcript(review, messages, cited_turns(content), show_hidden_info_turn, footer, practise)


def _findings(
    review: ReviewRead,
    content: ReviewContent,
    rubric: RubricDefinition | None,
    *,
    practise: Practise | None,
    drill: Drill | None,
) -> None:
    """What the review found: ratings (where they count), strengths, better replies, the goal
    (and its drill), and the counted figures."""
    # A teacher's version of a session the automatic review could not read (not in English)
    # says what the teacher wrote and nothing counted: every count would be 0.
    read = not content.not_english
    verdicts = _verdicts(review, content) if read else bool(content.scores)
    if verdicts:
        _criteria(review.session_id, content, rubric)
    if read or content.strengths:
        _strengths(review.session_id, content, teachers=content == review.teacher_content)
    if read or content.try_instead:
        _try_instead(review.session_id, content, practise)
    st.markdown("##### Goal for your next practice")
    st.success(safe(content.goal), icon=":material/flag:")
    if read and drill is not None and rubric is not None:
        drill(content, rubric)
    if read:
        counted_indicators(review, rubric, verdicts=verdicts)


def teacher_notes(review: ReviewRead, content: ReviewContent) -> None:
    """What only a teacher is told: figures to check before trusting them, and the turn at
    which the hidden information came out."""
    if counted.implausible_top_scores([score.score for score in content.scores], review.indicators):
        st.warning(
            "Every criterion got the top score, on a session that is short or whose counts are "
            "below fair. Read the transcript before you release it: a message may have asked "
            "the reviewer for top marks.",
            icon=":material/priority_high:",
        )
    gap = None if review.demo else counted.disagreement(review.indicators)
    if gap:
        whose = "the teacher's" if content == review.teacher_content else "the model's"
        st.warning(
            f"{whose.capitalize()} codes and the offline coder's disagree: counted score "
            f"{gap[0]:.0f} from {whose} codes, {gap[1]:.0f} from the offline coder's (told "
            f"when they differ by more than {counted.DISAGREEMENT_MARGIN:.0f} points). Check the "
            "codes before you trust the figures.",
            icon=":material/compare_arrows:",
        )
    turn = review.hidden_information_turn
    st.caption(
        f":material/key: The client's hidden information came out at turn {turn}."
        if turn
        else ":material/key: The client's hidden information was not uncovered."
    )


def _rubric(session_id: int) -> RubricDefinition | None:
    try:
        with store.transaction() as db:
            return review_service.get_review_rubric(
                db, actor=auth.current_user(), session_id=session_id
            )
    except AppError:
        return None


def _turns(session_id: int, turns: list[int]) -> str:
    """' · turns 9, 13', each number linked to its turn of the transcript."""
    links = ", ".join(turn_link(session_id, turn, str(turn)) for turn in turns)
    return "" if not turns else (" · turn " if len(turns) == 1 else " · turns ") + links


def _criteria(session_id: int, content: ReviewContent, rubric: RubricDefinition | None) -> None:
    names = {criterion.key: criterion.name for criterion in rubric.criteria} if rubric else {}
    st.markdown("##### Scores")
    for score in content.scores:
        name = safe(names.get(score.criterion, score.criterion))
        turns = _turns(session_id, score.turns)
        st.markdown(f"**{name}: {score.score}/5**{turns}  \n{safe(score.reasoning)}")


def risk_notices(content: ReviewContent, *, for_teacher: bool) -> None:
    """A client who voiced self-harm or harm to others comes first, with the turn."""
    for item in content.risk:
        answered = f"turn {item.student_turn}" if item.student_turn else "no turn (it ended)"
        text = f"> {safe(item.quote)}\n\n{safe(item.note)} (Client turn {item.client_turn}; reply: {answered}.)"
        if not item.responded:
            st.error(
                "**Risk passed over.** " + text + ("" if for_teacher else RISK_ADVICE),
                icon=":material/emergency:",
            )
        elif for_teacher:
            st.warning("**Risk voiced, and answered.** " + text, icon=":material/emergency:")


RISK_ADVICE = (
    "\n\nWhen a client speaks of harming themself or someone else, stop, ask about it directly "
    "and take it seriously before anything else. Talk it through with your teacher."
)


def _verdicts(review: ReviewRead, content: ReviewContent) -> bool:
    """Fair/good verdicts and global ratings only where they count (`verdicts_shown`): with
    enough turns, or in a teacher's version they rated themselves; and never when a risk was
    passed over (the session did not go well, whatever the counts say)."""
    teachers = review.by_teacher or review.teacher_content is not None
    stored = review.indicators
    shown = progress_service.verdicts_shown(
        stored, content.model_dump(mode="json"), by_teacher=teachers
    )
    if not progress_service.enough_evidence(stored) and not (teachers and content.scores):
        st.info(
            f"**Too short for verdicts.** With {stored.get('student_turns')} of your turns, this "
            "review shows counts only: ratings and fair/good verdicts start at "
            f"{counted.MIN_TURNS_FOR_VERDICTS} turns.",
            icon=":material/straighten:",
        )
    return shown


def _strengths(session_id: int, content: ReviewContent, *, teachers: bool) -> None:
    st.markdown("##### Strengths")
    if not content.strengths and teachers:  # the automatic reason below is not the teacher's
        st.caption("No strength noted in this version of the review.")
    elif not content.strengths:
        st.caption(
            "No clear strength in this session: no turn was a reflection, an open question or "
            "an MI-consistent move without also persuading or confronting. Start with the "
            "suggestions below."
        )
    for item in content.strengths:
        st.markdown(
            f"> {ui.as_typed(item.quote)}\n\n:green-badge[strength] "
            f"{turn_link(session_id, item.turn)} · "
            f"{safe(item.comment)}"
        )


def _try_instead(session_id: int, content: ReviewContent, practise: Practise | None) -> None:
    st.markdown("##### Try instead")
    if not content.try_instead:  # the heading alone had said nothing (an attack, 2026-12-07)
        st.caption("No better reply to suggest in this session: the goal below is the next step.")
    for index, item in enumerate(content.try_instead):
        with st.container(border=True):
            said = ui.as_typed(item.quote)  # the student's words, as typed
            st.markdown(f"You said ({turn_link(session_id, item.turn)}):\n\n> {said}")
            st.markdown(f"**Try:**\n\n> {safe(item.better_reply)}")
            st.caption(f"Why: {safe(item.why)}")
            if practise is not None:
                practise(item.turn, f"practise_{session_id}_{item.turn}_{index}")


def _transcript(
    review: ReviewRead,
    messages: list[MessageRead],
    cited: set[int],
    show_hidden: bool,
    footer: Callable[[MessageRead], None] | None,
    practise: Practise | None,
) -> None:
    """The numbered turns (as the review cites them), each with the anchor its links lead to;
    cited turns are bordered and labelled; `footer` under each of the client's replies,
    `practise` under each of the student's."""
    st.markdown("##### Transcript")
    if footer is not None:
        st.caption(RATE_HINT)
    for number, message in enumerate(messages, start=1):
        is_cited = number in cited
        student = message.role == MessageRole.user
        label = f"**Turn {number} · {'You' if student else 'Client'}**"
        if is_cited:
            label += f" {CITED}"
        if show_hidden and number == review.hidden_information_turn:
            label += " :violet-badge[hidden information]"
        key = f"turn_{review.session_id}_{number}" + ("_cited" if is_cited else "")
        with st.container(border=is_cited, key=key):
            with st.container(horizontal=True, gap=None):
                st.html(f'<div id="{anchor(review.session_id, number)}"></div>', width="content")
                st.markdown(label)
            st.markdown(ui.as_typed(message.content) if student else safe(message.content))
            if footer is not None and not student:
                footer(message)
            if practise is not None and student:
                practise(number, f"practise_turn_{review.session_id}_{number}")
