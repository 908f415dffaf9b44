"""The offline coder's language check (`backend/reviews/language.py`), from an attack on it
(2026-12-06): sessions whose script writes no spaces between words (Chinese, Japanese) must not
be rated and praised, as the Spanish one of the feedback tests is not; English typed tersely
must still be read."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# The Spanish confrontation of tests/integration/feedback/transcripts.py, in Chinese.
CHINESE_CONFRONTING = [
    ("你每天都喝酒吗？", "不，只在周末。"),
    ("你这是在否认，你必须马上戒酒。", "我没有否认。"),
    ("你就是在否认。你应该去参加戒酒互助会。", "我不想去。"),
    ("你必须现在就戒酒。", "不。"),
    ("那只是借口。", "不是借口。"),
]

JAPANESE_CONFRONTING = [
    ("毎日お酒を飲んでいますか？", "いいえ、週末だけです。"),
    ("あなたは否認しています。今すぐお酒をやめなければいけません。", "否認なんてしていません。"),
    ("いいえ、しています。断酒会に行くべきです。", "行きたくないです。"),
    ("今すぐやめなさい。", "いやです。"),
    ("それはただの言い訳です。", "言い訳じゃありません。"),
]


# A screening done as rapid-fire closed questions (an AUDIT-style checklist): poor counseling,
# in plain English, typed tersely. It is what the review exists to correct.
TERSE_SCREENING = [
    ("Drinks per week?", "Maybe fifteen, twenty."),
    ("Beer? Wine? Spirits?", "Mostly beer."),
    ("Weekends mostly?", "Weekends and Fridays."),
    ("Blackouts ever?", "Once or twice."),
    ("Morning drinking?", "No, never."),
    ("Family history?", "My dad drank a lot."),
    ("Tried cutting down?", "Not really."),
    ("Ready to quit?", "I don't know."),
]


def test_an_english_screening_typed_tersely_is_still_read(db):
    """Closed questions typed as a checklist are English: the demo review must read them (and
    say what to try instead), not tell the student the session is not in English."""
    seen = review_as_student(db, TERSE_SCREENING)
    assert not seen.content.not_english, seen.content.goal
    assert seen.content.try_instead, seen.describe()
