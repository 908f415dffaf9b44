"""A continuing client's memory without the sentences that give hidden information away
(`memory_writer.without_leaks`): what is dropped, what stays, and the offline summary's shape."""

from __future__ import annotations

from backend.practice.memory_text import MemoryAnswer, without_leaks


def _leak_of(*words: str):
    """A leak check that finds the stretch from the first to the last of `words` once all are
    in the text (as the guard quotes a fact spread over several sentences)."""

    def leak(text: str) -> str | None:
        lowered = text.lower()
        if not all(word in lowered for word in words):
            return None
        start = min(lowered.find(word) for word in words)
        end = max(lowered.find(word) + len(word) for word in words)
        return text[start:end]

    return leak


MEMORY = (
    "Discussed: your shifts. You mentioned the bakery.\n"
    "You told the student: You worked there twelve years. You miss it.\n"
    "Agreed: a sleep diary."
)


def test_a_text_without_a_leak_comes_back_as_it_was():
    assert without_leaks(MEMORY, _leak_of("pregnant")) == MEMORY


def test_a_fact_spread_over_two_lines_loses_both_sentences_and_nothing_else():
    kept = without_leaks(MEMORY, _leak_of("bakery", "twelve years"))
    assert kept == "Discussed: your shifts.\nYou miss it.\nAgreed: a sleep diary."


def test_a_leak_in_every_sentence_leaves_nothing():
    assert without_leaks("It is the bakery. The bakery!", _leak_of("bakery")) == ""


def test_the_answer_names_each_part_once_and_can_leave_one_out():
    answer = MemoryAnswer(
        discussed="Your sleep.", disclosed="You drink.", agreed="", relationship="Warm."
    )
    assert answer.text() == (
        "Discussed: Your sleep.\nYou told the student: You drink.\nRelationship so far: Warm."
    )
    assert "drink" not in answer.text(without=frozenset({"disclosed"}))
