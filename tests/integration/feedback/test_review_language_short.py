"""The known-words language check (`backend/reviews/language.py`) on short turns, from a third
attack (2026-12-06): words are the coder's own tokens, and ten one-word turns are enough to tell."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A micro-skills drill: minimal encouragers and brief reflections to a talkative mother. Every
# word is English; but the coder's vocabulary holds words split at apostrophes and hyphens
# ("that", "s", "mm", "hmm"), while the check keeps "that's", "you're", "it's", "what's",
# "mm-hmm", "uh-huh" whole, so none of them is "known" (nor is "ok"): 39% known, read as not
# English.
MINIMAL_ENCOURAGERS = [
    ("Hi Dana. What's going on?", "It's Tyler. He got suspended again and the school wants a meeting, and I just can't keep doing this by myself."),
    ("Mm-hmm.", "His dad's not around, I work doubles at the hospital, and every time the phone rings I think it's the principal."),
    ("Uh-huh.", "And I'm so tired. I fall asleep in my scrubs most nights."),
    ("You're exhausted.", "Completely. And then I feel guilty, like I'm failing him."),
    ("Mhm.", "He used to be such a sweet kid. Something changed when he started middle school."),
    ("That's hard.", "It is. I don't even know who his friends are anymore."),
    ("Mm-hmm.", "Last week he came home at two in the morning and wouldn't say where he'd been."),
    ("It's a lot.", "It's too much. I lay awake until I heard the door."),
    ("Mhm.", "I'm scared he's going to end up like his cousin. In juvie, or worse."),
    ("You're scared for Tyler.", "Terrified. He's all I've got."),
    ("What's that like?", "Like I'm holding my breath all the time, waiting for the next call."),
]  # fmt: skip


def test_an_english_session_of_minimal_encouragers_is_read(db):
    """The student sees 'this session is not in English ... Ask your teacher' for a session of
    "Mm-hmm.", "That's hard.", "You're scared for Tyler." and "What's that like?"."""
    seen = review_as_student(db, MINIMAL_ENCOURAGERS)
    assert not seen.content.not_english, seen.describe()


# Ten turns in Spanish, one word each (10 words: under MIN_WORDS = 12, so "read, as before"),
# enough turns for ratings. The coder reads none of it.
SPANISH_ONE_WORD_TURNS = [
    ("Hola.", "Hola. Mi esposa dice que bebo demasiado."),
    ("Entiendo.", "Solo los fines de semana."),
    ("Claro.", "Bueno, a veces entre semana."),
    ("Ajá.", "No creo que sea un problema."),
    ("Comprendo.", "Mis amigos beben igual."),
    ("Cuéntame.", "Pues, salimos los viernes."),
    ("Vale.", "Y a veces no recuerdo nada."),
    ("Sigue.", "Eso me asusta un poco."),
    ("Mmm.", "No sé qué hacer."),
    ("Gracias.", "De nada."),
]


def test_a_ten_turn_spanish_session_under_twelve_words_is_not_rated_or_praised(db):
    """It gets counted score 100 ('good'), 5/5 on Reflections of feeling, Paraphrase and
    summary, Empathy, Avoiding premature advice and Pacing, "Comprendo." and "Sigue." praised
    as paraphrases, and a better reply 'It sounds like mi esposa dice que bebo demasiado, ...'."""
    seen = review_as_student(db, SPANISH_ONE_WORD_TURNS)
    assert 5 not in seen.ratings.values() and not seen.strengths, seen.describe()
