"""Train the learned utterance coder on the AnnoMI training split, report CV figures, ship weights.

    .venv/bin/python -m backend.reviews.train_coder --data ../shared/data/annomi/annomi-train.csv

Transcript-grouped 5-fold cross-validation first (every figure is out of fold, computed through
the shipped numpy runtime), then one fit on all 88 transcripts, written to coder_model.npz with a
reproduction sample for the tests. scikit-learn is imported here only: it is a dev dependency.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from backend.reviews import evaluation
from backend.reviews.annomi import (
    AnnomiTranscript,
    AnnomiUtterance,
    load_transcripts,
    previous_client_text,
    previous_counselor_text,
)
from backend.reviews.learned_coder import (
    ANALYZERS,
    BEHAVIOURS,
    MODEL_PATH,
    LearnedCoder,
    Prediction,
    dense_features,
)

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "learned_coder_sample.json"
SEED = 0
REPEATS = 3  # repeats of the whole grouped CV, each with its own seed, for the macro-F1
# Chosen by transcript-grouped CV on the training split only (C, block weights, features).
MIN_DF = 2
C = 3.0
BLOCKS = (  # name, analyzer, weight after l2 norm, reads the context turn
    ("word", "word", 1.0, False),
    ("char", "char", 1.0, False),
    ("context", "context", 0.6, True),
)
Label = Callable[[AnnomiUtterance], object]
# Each head: its label, and which rows it learns from (subtypes only where that behaviour exists).
COUNSELOR_HEADS: dict[str, tuple[Label, Callable[[AnnomiUtterance], bool]]] = {
    "behaviour": (lambda u: u.behaviour, lambda u: True),
    "question_exists": (lambda u: u.question_exists, lambda u: True),
    "reflection_exists": (lambda u: u.reflection_exists, lambda u: True),
    "input_exists": (lambda u: u.input_exists, lambda u: True),
    "question_subtype": (lambda u: u.question_subtype, lambda u: bool(u.question_subtype)),
    "reflection_subtype": (lambda u: u.reflection_subtype, lambda u: bool(u.reflection_subtype)),
    "input_subtype": (lambda u: u.input_subtype, lambda u: bool(u.input_subtype)),
}
CLIENT_HEADS: dict[str, tuple[Label, Callable[[AnnomiUtterance], bool]]] = {
    "client_talk": (lambda u: u.client_talk, lambda u: bool(u.client_talk)),
}
ABOUT = """AnnoMI utterance coder (backend/reviews/learned_coder.py runs it with numpy).
Learned from AnnoMI: Wu et al., "Anno-MI: A Dataset of Expert-Annotated Counselling Dialogues",
ICASSP 2022; extended in Future Internet 15(3):110, 2023. Trained on the 88-transcript training
split only (the other 45 transcripts are held out for evaluation). Rebuild with:
.venv/bin/python -m backend.reviews.train_coder --data ../shared/data/annomi/annomi-train.csv
Logistic regression heads over TF-IDF of the utterance (words, characters) and of the other
speaker's previous turn, plus form flags. The training date is left out so rebuilds are identical."""


@dataclass(frozen=True)
class Turn:
    """One training row: the utterance, its context turn and where it comes from."""

    utterance: AnnomiUtterance
    context: str
    transcript_id: int


def turns(transcripts: list[AnnomiTranscript], speaker: str) -> list[Turn]:
    context = previous_client_text if speaker == "counselor" else previous_counselor_text
    return [
        Turn(utterance, context(transcript, index), transcript.transcript_id)
        for transcript in transcripts
        for index, utterance in enumerate(transcript.utterances)
        if utterance.speaker == speaker
    ]


class FittedSet:
    """The vectorizers and sklearn heads of one speaker, exportable to the numpy runtime."""

    def __init__(self, rows: list[Turn], heads: dict[str, tuple[Label, Callable]]) -> None:
        self.vectorizers = [
            TfidfVectorizer(analyzer=ANALYZERS[analyzer], sublinear_tf=True, min_df=MIN_DF)
            for _, analyzer, _, _ in BLOCKS
        ]
        matrix = self._features(rows, fit=True)
        self.models: dict[str, LogisticRegression] = {}
        for name, (label, keep) in heads.items():
            chosen = [i for i, row in enumerate(rows) if keep(row.utterance)]
            model = LogisticRegression(
                C=C, class_weight="balanced", solver="newton-cg", max_iter=1000
            )
            self.models[name] = model.fit(
                matrix[chosen], [label(rows[i].utterance) for i in chosen]
            )

    def _features(self, rows: list[Turn], fit: bool = False) -> sparse.csr_matrix:
        blocks = []
        for vectorizer, (_, _, weight, on_context) in zip(self.vectorizers, BLOCKS, strict=True):
            texts = [row.context if on_context else row.utterance.text for row in rows]
            tfidf = vectorizer.fit_transform(texts) if fit else vectorizer.transform(texts)
            blocks.append(tfidf * weight)
        dense = [dense_features(row.utterance.text, row.context) for row in rows]
        return sparse.hstack([*blocks, sparse.csr_matrix(np.array(dense))]).tocsr()

    def predict_proba(self, rows: list[Turn], head: str) -> np.ndarray:
        probabilities: np.ndarray = self.models[head].predict_proba(self._features(rows))
        return probabilities

    def export(self, prefix: str) -> tuple[dict, dict[str, np.ndarray]]:
        """The spec entry and arrays the runtime reads (float32 weights keep the file small)."""
        arrays: dict[str, np.ndarray] = {}
        blocks = []
        for vectorizer, (name, analyzer, weight, on_context) in zip(
            self.vectorizers, BLOCKS, strict=True
        ):
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            vocabulary = "\n".join(terms).encode("utf-8")
            arrays[f"{prefix}.{name}.vocabulary"] = np.frombuffer(vocabulary, dtype=np.uint8)
            arrays[f"{prefix}.{name}.idf"] = vectorizer.idf_.astype(np.float32)
            blocks.append(
                {"name": name, "analyzer": analyzer, "weight": weight, "on_context": on_context}
            )
        heads = {}
        for name, model in self.models.items():
            weights = np.vstack([model.coef_.T, model.intercept_[None, :]])
            arrays[f"{prefix}.{name}.weights"] = weights.astype(np.float32)
            heads[name] = [str(label) for label in model.classes_]
        return {"blocks": blocks, "heads": heads}, arrays


@dataclass(frozen=True)
class Fitted:
    counselor: FittedSet
    client: FittedSet

    def arrays(self, trained_on: str = "") -> dict[str, np.ndarray]:
        """`trained_on`: the SHA-256 of the training file, so an evaluation on that same file
        can say its figures are in-sample."""
        counselor_spec, counselor_arrays = self.counselor.export("counselor")
        client_spec, client_arrays = self.client.export("client")
        spec = {
            "feature_sets": {"counselor": counselor_spec, "client": client_spec},
            "trained_on_sha256": trained_on,
        }
        return {
            "about": np.array(ABOUT),
            "spec": np.array(json.dumps(spec, sort_keys=True)),
            **counselor_arrays,
            **client_arrays,
        }

    def coder(self) -> LearnedCoder:
        return LearnedCoder(self.arrays())


def fit(transcripts: list[AnnomiTranscript]) -> Fitted:
    return Fitted(
        FittedSet(turns(transcripts, "counselor"), COUNSELOR_HEADS),
        FittedSet(turns(transcripts, "client"), CLIENT_HEADS),
    )


def cross_validated_coders(
    transcripts: list[AnnomiTranscript], folds: int = 5, seed: int = SEED
) -> list[tuple[set[int], LearnedCoder]]:
    """Per fold: the held-out transcript ids and a coder fitted on the rest (as shipped, in memory).

    Folds are grouped by transcript and stratified on the counselor behaviour, with a fixed seed.
    """
    rows = turns(transcripts, "counselor")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = [row.utterance.behaviour for row in rows]
    groups = [row.transcript_id for row in rows]
    result = []
    for _, test in splitter.split(rows, labels, groups):
        held_out = {groups[i] for i in test}
        training = [t for t in transcripts if t.transcript_id not in held_out]
        result.append((held_out, fit(training).coder()))
    return result


def report(transcripts: list[AnnomiTranscript]) -> None:
    """Print out-of-fold figures for every head, then the product's: the offline reviews of the
    held-out transcripts (codes, the shown score's AUC), and the macro-F1 over repeated CV."""
    counselor, client = turns(transcripts, "counselor"), turns(transcripts, "client")
    predicted: dict[int, Prediction] = {}
    talk: dict[int, str] = {}
    coders = cross_validated_coders(transcripts)
    for held_out, coder in coders:
        mine = [row for row in counselor if row.transcript_id in held_out]
        pairs = [(row.utterance.text, row.context) for row in mine]
        predicted.update(zip(map(id, mine), coder.predict_many(pairs), strict=True))
        for row in client:
            if row.transcript_id in held_out:
                talk[id(row)] = coder.client_talk(row.utterance.text, row.context)
    truth = [str(row.utterance.behaviour) for row in counselor]
    guess = [predicted[id(row)].behaviour for row in counselor]
    labels = list(BEHAVIOURS)
    print(f"Counselor behaviour, {len(truth)} utterances, 88-transcript split, grouped 5-fold CV")
    print(f"macro-F1 {f1_score(truth, guess, labels=labels, average='macro'):.4f}")
    print(f"accuracy {np.mean(np.array(truth) == np.array(guess)):.4f}")
    precision, recall, f1, support = precision_recall_fscore_support(truth, guess, labels=labels)
    print(f"{'':16} {'precision':>9} {'recall':>7} {'F1':>7} {'n':>5}")
    for i, label in enumerate(labels):
        print(f"{label:16} {precision[i]:9.3f} {recall[i]:7.3f} {f1[i]:7.3f} {support[i]:5d}")
    print("confusion (rows true, columns predicted: " + ", ".join(labels) + ")")
    for label, line in zip(labels, confusion_matrix(truth, guess, labels=labels), strict=True):
        print(f"  {label:16} " + " ".join(f"{n:5d}" for n in line))

    print("Sub-heads (out of fold)")
    for subtype in ("question_subtype", "reflection_subtype", "input_subtype"):
        scored = [row for row in counselor if getattr(row.utterance, subtype)]
        hits = [getattr(predicted[id(r)], subtype) == getattr(r.utterance, subtype) for r in scored]
        print(f"  {subtype:20} accuracy {np.mean(hits):.4f} (n={len(hits)})")
    for flag, behaviour in (
        ("question_exists", "question"),
        ("reflection_exists", "reflection"),
        ("input_exists", "therapist_input"),
    ):
        said = [_present(predicted[id(row)], behaviour) for row in counselor]
        true = [getattr(row.utterance, flag) for row in counselor]
        print(
            f"  {flag:20} accuracy {np.mean(np.array(said) == np.array(true)):.4f} "
            f"F1 {f1_score(true, said):.4f} (present = main behaviour or in `also`)"
        )
    talk_truth = [str(row.utterance.client_talk) for row in client]
    talk_guess = [talk[id(row)] for row in client]
    print(
        f"  {'client_talk':20} macro-F1 {f1_score(talk_truth, talk_guess, average='macro'):.4f} "
        f"accuracy {np.mean(np.array(talk_truth) == np.array(talk_guess)):.4f} (n={len(client)})"
    )
    _report_reviews(transcripts, coders)


def _report_reviews(
    transcripts: list[AnnomiTranscript], coders: list[tuple[set[int], LearnedCoder]]
) -> None:
    """Each held-out transcript reviewed offline by the product's functions with its fold's
    coder (the AUC of the shown score), and the macro-F1 over REPEATS of grouped 5-fold CV (one
    split's figure moves by about 0.003 with the seed)."""
    coder_of = {tid: coder for held_out, coder in coders for tid in held_out}
    result = evaluation.evaluate(transcripts, coder_for=_by_id(coder_of))
    evaluation.print_evaluation(result, f"Offline reviews, out of fold (seed {SEED})")
    figures = [result.report.macro_f1]
    for seed in range(SEED + 1, SEED + REPEATS):
        again = {
            tid: coder
            for held_out, coder in cross_validated_coders(transcripts, seed=seed)
            for tid in held_out
        }
        figures.append(evaluation.evaluate(transcripts, coder_for=_by_id(again)).report.macro_f1)
    spread = ", ".join(f"{value:.4f}" for value in figures)
    print(
        f"\nmacro-F1 {np.mean(figures):.3f} over {REPEATS} repeats of transcript-grouped 5-fold "
        f"CV (seeds {SEED}-{SEED + REPEATS - 1}: {spread})"
    )


def _by_id(coders: dict[int, LearnedCoder]) -> Callable[[AnnomiTranscript], LearnedCoder]:
    """Each transcript's coder: the one whose fold held it out."""
    return lambda transcript: coders[transcript.transcript_id]


def _present(prediction: Prediction, behaviour: str) -> bool:
    return prediction.behaviour == behaviour or behaviour in prediction.also


def write_model(arrays: dict[str, np.ndarray], path: Path) -> None:
    """An .npz written entry by entry with fixed timestamps, so rebuilds are byte-identical."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = io.BytesIO()
            np.lib.format.write_array(data, arrays[name], allow_pickle=False)
            archive.writestr(entry, data.getvalue())
    path.write_bytes(buffer.getvalue())


def write_sample(fitted: Fitted, transcripts: list[AnnomiTranscript], path: Path) -> None:
    """About 40 fixed counselor turns with sklearn's own predictions, for the runtime to match."""
    rows = turns(transcripts, "counselor")
    chosen = rows[:: max(1, len(rows) // 40)][:40]
    probabilities = fitted.counselor.predict_proba(chosen, "behaviour")
    classes = [str(label) for label in fitted.counselor.models["behaviour"].classes_]
    sample = [
        {
            "utterance": row.utterance.text,
            "previous_client": row.context,
            "behaviour": classes[int(p.argmax())],
            "probabilities": {c: round(float(v), 6) for c, v in zip(classes, p, strict=True)},
        }
        for row, p in zip(chosen, probabilities, strict=True)
    ]
    text = json.dumps({"about": ABOUT, "sample": sample}, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, required=True, help="annomi-train.csv")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="weights file to write")
    parser.add_argument("--no-write", action="store_true", help="only print the CV figures")
    options = parser.parse_args(argv)
    transcripts = load_transcripts(options.data)
    report(transcripts)
    if options.no_write:
        return 0
    fitted = fit(transcripts)
    digest = hashlib.sha256(options.data.read_bytes()).hexdigest()
    write_model(fitted.arrays(trained_on=digest), options.out)
    write_sample(fitted, transcripts, SAMPLE_PATH)
    print(f"wrote {options.out} ({options.out.stat().st_size / 1e6:.2f} MB) and {SAMPLE_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
