""" "Try again" on a review the API refused with HTTP 400 (an attack, 2026-12-06).

A 400 is not always the request "as it is": the API answers 400 (invalid_request_error) to a
set-up the admin chose, e.g. REVIEW_MAX_TOKENS above what the review model allows. Once the
admin fixes the setting, asking again works - but the review page keeps the job's
{"asking_again_helps": false} for good, so neither the student (My sessions) nor the teacher
(History) is ever offered a way to ask for the review again."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from backend.llm.errors import ErrorCategory, classify
from tests.apps.helpers import assert_clean, classroom, everything, log_in, open_page
from tests.apps.test_student_review import TURNS, end_session, session_id_of, valid_answer

MAX_TOKENS_REFUSED = (
    "max_tokens: 32000 > 8192, which is the maximum allowed number of output tokens for "
    "claude-3-5-haiku-20241022"
)


def test_a_review_refused_for_a_setting_can_be_asked_for_again_once_it_is_fixed(
    app, app_db, app_api
):
    student, _alex, _section = classroom(app_db)
    for _text, reply in TURNS:
        app_api.reply(reply, input_tokens=900, output_tokens=8)
    app_api.error(400, "invalid_request_error", MAX_TOKENS_REFUSED)
    at = end_session(log_in(app.run(), "sam.student"))
    assert_clean(at)
    chat_id = session_id_of(app_db, student)

    # The admin lowers REVIEW_MAX_TOKENS; the API would now write the review.
    app_api.tool_reply(valid_answer())
    at.button(key="back_to_clients").click().run()
    open_page(at, "My sessions")
    at.session_state[f"my_session_{chat_id}"] = True
    at.run()
    assert_clean(at)
    buttons = [button.key for button in at.button if button.key == f"review_again_{chat_id}"]
    assert buttons, "no way to ask for the review again; the page says: " + next(
        line for line in everything(at).splitlines() if "cannot write a review" in line
    )


@pytest.mark.parametrize(
    "said, kind",
    [
        (MAX_TOKENS_REFUSED, ErrorCategory.invalid_setting),
        ("model: claude-nonexistent-1", ErrorCategory.invalid_setting),
        ("prompt is too long: 210000 tokens > 200000 maximum", ErrorCategory.bad_request),
        (
            "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000, "
            "decrease input length or `max_tokens` and try again",
            ErrorCategory.bad_request,
        ),
    ],
    ids=["max-tokens", "model", "prompt-too-long", "context-limit"],
)
def test_a_400_naming_a_setting_is_a_set_up_problem_and_one_about_length_is_not(said, kind):
    """A setting the API refused is an admin's to fix (Retry stays, the student is told to
    tell someone); a conversation too long for the model is refused as it is."""
    request = httpx.Request("POST", "https://api.anthropic.com/v1/messages")
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": said}}
    response = httpx.Response(400, request=request, json=body)
    error = classify(anthropic.BadRequestError(said, response=response, body=body))
    assert error.kind == kind
    assert error.asking_again_helps == (kind == ErrorCategory.invalid_setting)
