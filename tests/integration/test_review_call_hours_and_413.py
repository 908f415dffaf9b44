"""An attack on a failed review attempt kept as a `review_call` event; HTTP 413."""

from __future__ import annotations

from datetime import timedelta

import anthropic
import httpx
import pytest

from backend.db import Database, unit_of_work
from backend.llm.errors import ErrorCategory, GatewayError, classify
from backend.monitoring import metrics_service
from backend.reviews import review_service
from tests.integration.test_costs_to_the_cent import (
    _admin,
    _as_if_earlier,
    _ended_session,
    _review_fails,
    _review_succeeds,
)


def test_a_past_hours_tokens_do_not_depend_on_which_process_serves_the_page(
    committed_engine, api, classroom
):
    """A review failed two hours ago; the admin's process has shown the Usage tab since (it
    keeps that closed hour); then the retry succeeds. The failed attempt's hour must read the
    same number of tokens in that process and in a fresh one (a restart, another worker).

    Reviews add only their cost to the hourly figures, never their tokens; the `review_call`
    event of the replaced attempt adds its 2,200 tokens too, so a fresh process shows 2,200
    more tokens for that past hour than the process that kept it."""
    session_id = _ended_session(committed_engine, classroom)
    _review_fails(committed_engine, api, classroom, session_id)
    _as_if_earlier(committed_engine, timedelta(hours=2))
    admin = _admin(committed_engine)
    metrics_service.forget_closed_periods()
    with unit_of_work(committed_engine, write=False) as db:
        kept = metrics_service.hourly_usage(db, actor=admin)
    _review_succeeds(committed_engine, api, classroom, session_id)
    with unit_of_work(committed_engine, write=False) as db:
        same_process = metrics_service.hourly_usage(db, actor=admin)
    metrics_service.forget_closed_periods()  # a new process
    with unit_of_work(committed_engine, write=False) as db:
        fresh = metrics_service.hourly_usage(db, actor=admin)
    failed_hour = -3  # two hours back from the current hour
    assert kept[failed_hour].tokens == same_process[failed_hour].tokens
    assert (fresh[failed_hour].start, fresh[failed_hour].tokens) == (
        same_process[failed_hour].start,
        same_process[failed_hour].tokens,
    )


def test_http_413_without_the_apis_json_body_is_still_a_refused_request():
    """A 413 the SDK already names (`RequestTooLargeError`) but whose body is not the API's JSON
    (a proxy or the CDN in front answering "413 Request Entity Too Large"): the conversation is
    still too large, so Retry can only fail again. `classify` reads only the body's error type,
    so the student is told "Press Retry to try again"."""
    request = httpx.Request("POST", "https://api.anthropic.com/v1/messages")
    response = httpx.Response(
        413, request=request, text="<html><h1>413 Request Entity Too Large</h1></html>"
    )
    error = anthropic.RequestTooLargeError("Error code: 413", response=response, body=None)
    classified = classify(error)
    assert classified.kind == ErrorCategory.bad_request
    assert not classified.retryable
    assert "Retry" not in classified.message


def test_a_review_refused_for_good_does_not_say_to_end_the_conversation(
    committed_engine, api, configure, classroom
):
    """The review of an ended conversation that the API refuses (413: the transcript is too
    large to send) told the student to "Try ending it and starting a new one": words for a
    reply, about a conversation already ended (an attack, 2026-12-06). A reply's notice still
    says so."""
    configure(review_batches=False)
    session_id = _ended_session(committed_engine, classroom)
    api.error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
    with pytest.raises(GatewayError) as refused:
        review_service.create_review(
            Database(committed_engine), actor=classroom.student, session_id=session_id
        )
    assert "starting a new one" not in refused.value.message
    assert "asking again will not help" in refused.value.message
