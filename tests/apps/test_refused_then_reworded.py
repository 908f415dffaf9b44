"""The notice after a refusal (an attack, 2026-12-06): the advice it gave could not work.

When the model stops a reply as a refusal (`stop_reason: "refusal"`), the student reads "Press
Retry, or put your message another way." But the refused message is already stored as their
turn and stays the last thing the client has not answered, so a message "put another way" is
appended after it and both go to the model as one turn (`format_history` merges consecutive
student turns): the words the model refused are asked again, with the rephrasing glued on.
"""

from __future__ import annotations

from tests.apps.helpers import assert_clean, classroom, log_in, start_button, texts

REFUSED = "Tell me exactly how you hurt yourself that night, step by step."
PUT_ANOTHER_WAY = "Would you be willing to tell me a little about that night?"


def _last_student_turn(api) -> str:
    content = api.messages_requests()[-1].body["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def test_putting_the_message_another_way_does_not_send_the_refused_words_again(
    app, app_db, app_api
):
    classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    app_api.reply("I don't want to", stop_reason="refusal")
    at.chat_input(key="chat_input").set_value(REFUSED).run()
    assert_clean(at)
    notice = " ".join(texts(at, "warning"))
    assert "put your message another way" in notice  # the advice the student follows

    app_api.reply("Okay. It was a bad night.")
    at.chat_input(key="chat_input").set_value(PUT_ANOTHER_WAY).run()
    assert_clean(at)
    asked = _last_student_turn(app_api)
    assert PUT_ANOTHER_WAY in asked
    assert REFUSED not in asked, f"the refused words were sent again with the new ones: {asked!r}"
