"""The learned utterance coder: linear models over TF-IDF features, run with numpy alone.

Trained on AnnoMI by `backend/reviews/train_coder.py` (which cites the data set and says how to
rebuild the weights). A counselor turn is coded with the client's previous turn as context, a
client turn with the counselor's previous turn. The feature functions below are the ones the
trainer hands to scikit-learn, so training and inference cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("coder_model.npz")
BEHAVIOURS = ("question", "reflection", "therapist_input", "other")
# Which *_exists head says that a behaviour is also present in the turn.
EXISTS_HEADS = {
    "question_exists": "question",
    "reflection_exists": "reflection",
    "input_exists": "therapist_input",
}

# --- features (shared with training) -------------------------------------------------------------

_WORDS = re.compile(r"(?u)\b\w\w+\b")
_WORDS_AND_MARKS = re.compile(r"(?u)\w+|[?!.,]")
_CONTENT_WORDS = re.compile(r"(?u)\b\w\w\w+\b")
_SENTENCE_ENDS = re.compile(r"[.?!]+")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_WH_WORDS = frozenset(("what", "how", "why", "when", "where", "who", "which", "tell"))
_AUX_WORDS = frozenset(
    "do does did are is was were can could would will have has should any".split()  # noqa: SIM905
)
_STOP_LIST = (
    "the and you that this for with was are have what but not just about like its it's "
    "don't i'm your can they there know yeah really think"
)
_STOP_WORDS = frozenset(_STOP_LIST.split())
_LENGTH_EDGES = (1, 2, 3, 5, 8, 13, 21, 34, 55)


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces: every feature starts from this."""
    return _SPACES.sub(" ", text.lower().translate(_QUOTES)).strip()


def word_terms(text: str) -> list[str]:
    """Word 1-2-grams with punctuation kept as tokens and start/end marks ("<s> so", "? </s>")."""
    tokens = ["<s>", *_WORDS_AND_MARKS.findall(normalise(text)), "</s>"]
    return [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]


def char_terms(text: str) -> list[str]:
    """Character 2-5-grams inside each space-padded word (sklearn's char_wb): robust to typos."""
    terms: list[str] = []
    for word in normalise(text).split(" "):
        padded = f" {word} "
        for size in range(2, 6):
            terms.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return terms


def context_terms(text: str) -> list[str]:
    """Word 1-2-grams of the other speaker's previous turn."""
    tokens = _WORDS.findall(normalise(text))
    return [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]


ANALYZERS: dict[str, Callable[[str], list[str]]] = {
    "word": word_terms,
    "char": char_terms,
    "context": context_terms,
}


def dense_features(text: str, context: str) -> list[float]:
    """Form flags a bag of n-grams misses (a final "?", length, sentence count) and echo of context.

    Length and sentence count come as one-hot bins, alone and crossed with the final "?", so a
    linear model can tell a short closed question from a long reflection ending in a question.
    """
    norm = normalise(text)
    words = [token for token in _WORDS_AND_MARKS.findall(norm) if token not in "?!.,"]
    first = words[0] if words else ""
    sentences = [piece for piece in _SENTENCE_ENDS.split(norm) if piece.strip()]
    asks = float(norm.endswith("?"))
    length_bins = [_in_bin(len(words), k) for k in range(len(_LENGTH_EDGES) + 1)]
    count = len(sentences)
    sentence_bins = [float(count == 1), float(count == 2), float(count >= 3)]
    form = [
        asks,
        float("?" in norm),
        float(norm.count("?")),
        math.log1p(len(words)),
        math.log1p(count),
        float(first in _WH_WORDS),
        float(first in _AUX_WORDS),
        float(len(words) <= 2),
        float(norm.endswith(".")),
        float(norm.endswith("-") or norm.endswith("...")),
        float(norm == ""),
    ]
    crossed = [asks * value for value in (*length_bins, *sentence_bins)]
    return form + length_bins + sentence_bins + crossed + _echo_features(norm, normalise(context))


def _in_bin(length: int, k: int) -> float:
    if k == len(_LENGTH_EDGES):
        return float(length > _LENGTH_EDGES[-1])
    return float(length <= _LENGTH_EDGES[k] and (k == 0 or length > _LENGTH_EDGES[k - 1]))


def _echo_features(norm: str, context: str) -> list[float]:
    """How much of the other speaker's words come back (reflections echo the client)."""
    mine = set(_CONTENT_WORDS.findall(norm)) - _STOP_WORDS
    theirs = set(_CONTENT_WORDS.findall(context)) - _STOP_WORDS
    shared = len(mine & theirs)
    my_stems, their_stems = {w[:5] for w in mine}, {w[:5] for w in theirs}
    shared_stems = len(my_stems & their_stems)
    return [
        shared_stems / (len(my_stems) + 1),
        shared_stems / (len(their_stems) + 1),
        math.log1p(shared_stems),
        shared / (len(mine) + 1),
        shared / (len(theirs) + 1),
        math.log1p(shared),
        float(context.endswith("?")),
        math.log1p(len(context.split())),
        float(context == ""),
    ]


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    behaviour: str  # one of BEHAVIOURS
    probabilities: dict[str, float]  # over the 4 behaviours
    also: frozenset[str]  # other behaviours present in the same turn; never `behaviour` or "other"
    question_subtype: str  # "open" | "closed": what the question part would be
    reflection_subtype: str  # "simple" | "complex"
    input_subtype: str  # "information" | "advice" | "options" | "negotiation"


@dataclass(frozen=True)
class _Block:
    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weight: float
    on_context: bool


class _FeatureSet:
    """TF-IDF blocks then dense features, as sklearn computes them (sublinear tf, idf, l2 norm)."""

    def __init__(self, blocks: list[_Block]) -> None:
        self.blocks = blocks
        self.offsets = np.cumsum([0] + [len(block.vocabulary) for block in blocks]).tolist()

    def sparse_row(self, text: str, context: str) -> tuple[list[int], list[float]]:
        indices: list[int] = []
        values: list[float] = []
        for block, offset in zip(self.blocks, self.offsets, strict=False):
            counts = Counter(block.analyzer(context if block.on_context else text))
            found = [(block.vocabulary[t], n) for t, n in counts.items() if t in block.vocabulary]
            if not found:
                continue
            index = np.array([i for i, _ in found])
            tfidf = (1.0 + np.log([n for _, n in found])) * block.idf[index]
            tfidf *= block.weight / np.linalg.norm(tfidf)
            indices.extend((index + offset).tolist())
            values.extend(tfidf.tolist())
        dense = dense_features(text, context)
        indices.extend(range(self.offsets[-1], self.offsets[-1] + len(dense)))
        values.extend(dense)
        return indices, values


class _Heads:
    """All heads over one feature set, their weights side by side so one gather scores them all."""

    def __init__(self, features: _FeatureSet, heads: dict[str, tuple[list[str], np.ndarray]]):
        self.features = features
        self.classes = {name: classes for name, (classes, _) in heads.items()}
        self.columns: dict[str, slice] = {}
        start = 0
        for name, (_, weights) in heads.items():
            self.columns[name] = slice(start, start + weights.shape[1])
            start += weights.shape[1]
        # Rows: features then a last row of intercepts.
        self.weights = np.hstack([weights for _, weights in heads.values()]).astype(np.float64)

    def scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        rows = [self.features.sparse_row(text, context) for text, context in pairs]
        starts = np.cumsum([0] + [len(indices) for indices, _ in rows[:-1]])
        indices = np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in rows])
        values = np.concatenate([np.asarray(v, dtype=np.float64) for _, v in rows])
        summed = np.add.reduceat(self.weights[indices] * values[:, None], starts, axis=0)
        scores: np.ndarray = summed + self.weights[-1]
        return scores

    def probabilities(self, scores: np.ndarray, head: str) -> np.ndarray:
        """Softmax for several classes, sigmoid for two (sklearn's one column of weights)."""
        logits = scores[:, self.columns[head]]
        if logits.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - positive, positive], axis=1)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        softmax: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return softmax

    def best(self, scores: np.ndarray, head: str) -> list[str]:
        classes = self.classes[head]
        return [classes[i] for i in self.probabilities(scores, head).argmax(axis=1)]


class LearnedCoder:
    """Codes counselor turns (MI behaviour, co-occurring behaviours, subtypes) and client talk."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.spec = json.loads(str(arrays["spec"].item()))
        self.about = str(arrays["about"].item())
        self._sets = {name: self._heads(name, arrays) for name in self.spec["feature_sets"]}

    @property
    def trained_on_sha256(self) -> str:
        """The SHA-256 of the file it was trained on ("" for a coder built in memory)."""
        return str(self.spec.get("trained_on_sha256", ""))

    def known_words(self) -> frozenset[str]:
        """Every single term of its word vocabularies (turns and their contexts, counselor's and
        client's): what it can read (`backend.reviews.language`)."""
        return frozenset(
            term
            for name, feature_set in self.spec["feature_sets"].items()
            for spec, block in zip(
                feature_set["blocks"], self._sets[name].features.blocks, strict=True
            )
            if spec["analyzer"] in ("word", "context")
            for term in block.vocabulary
            if " " not in term
        )

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LearnedCoder:
        with np.load(path, allow_pickle=False) as stored:
            return cls({name: stored[name] for name in stored.files})

    def predict(self, utterance: str, previous_client: str = "") -> Prediction:
        return self.predict_many([(utterance, previous_client)])[0]

    def predict_many(self, pairs: Sequence[tuple[str, str]]) -> list[Prediction]:
        """Code (counselor utterance, previous client turn) pairs in one vectorised pass."""
        if not pairs:
            return []
        heads = self._sets["counselor"]
        scores = heads.scores(pairs)
        main = heads.probabilities(scores, "behaviour")
        present = {name: heads.probabilities(scores, name)[:, 1] > 0.5 for name in EXISTS_HEADS}
        subtypes = {
            name: heads.best(scores, name)
            for name in ("question_subtype", "reflection_subtype", "input_subtype")
        }
        classes = heads.classes["behaviour"]
        predictions = []
        for row, probabilities in enumerate(main):
            behaviour = classes[int(probabilities.argmax())]
            also = {EXISTS_HEADS[name] for name, flags in present.items() if flags[row]}
            predictions.append(
                Prediction(
                    behaviour=behaviour,
                    probabilities={
                        c: float(p) for c, p in zip(classes, probabilities, strict=True)
                    },
                    also=frozenset(also - {behaviour}),
                    question_subtype=subtypes["question_subtype"][row],
                    reflection_subtype=subtypes["reflection_subtype"][row],
                    input_subtype=subtypes["input_subtype"][row],
                )
            )
        return predictions

    def client_talk(self, utterance: str, previous_counselor: str = "") -> str:
        """ "change", "sustain" or "neutral" for a client turn."""
        heads = self._sets["client"]
        return heads.best(heads.scores([(utterance, previous_counselor)]), "client_talk")[0]

    def _heads(self, feature_set: str, arrays: dict[str, np.ndarray]) -> _Heads:
        spec = self.spec["feature_sets"][feature_set]
        blocks = []
        for block in spec["blocks"]:
            key = f"{feature_set}.{block['name']}"
            terms = bytes(arrays[f"{key}.vocabulary"]).decode("utf-8").split("\n")
            blocks.append(
                _Block(
                    analyzer=ANALYZERS[block["analyzer"]],
                    vocabulary={term: i for i, term in enumerate(terms)},
                    idf=arrays[f"{key}.idf"].astype(np.float64),
                    weight=float(block["weight"]),
                    on_context=bool(block["on_context"]),
                )
            )
        heads = {
            name: (classes, arrays[f"{feature_set}.{name}.weights"])
            for name, classes in spec["heads"].items()
        }
        return _Heads(_FeatureSet(blocks), heads)


@lru_cache(maxsize=1)
def default_coder() -> LearnedCoder:
    """The shipped coder, loaded once per process."""
    return LearnedCoder.load(MODEL_PATH)
