"""`python -m dataservice train-classifier`: a city trains the classifier on its own work orders.

The export's rows are the city's classes; our out-of-scope negatives are added so that chit-chat
still scores low; message types come from the export when it has them, else from our corpus.
Before writing the model, 5-fold cross-validation on the export says how well it will do.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold

from dataservice.work_orders.corpus import NONE, Example, read_corpus, read_export
from dataservice.work_orders.model import SEED, WorkOrderModel
from dataservice.work_orders.taxonomy import Taxonomy, load_taxonomy

FOLDS = 5
# Regularisation strengths the command chooses from (3-fold CV on the export's first level): a city's
# history is larger and more uniform than our corpus and usually wants less regularisation.
C_GRID = (0.1, 0.3, 1.0, 3.0)


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    level1_accuracy: float
    level2_top3: float | None  # None when the export has no second-level classes


def train_city_model(examples: Sequence[Example], taxonomy: Taxonomy | None = None,
                     source: str = "city export", c: float | None = None) -> WorkOrderModel:
    """The model a city uses: its own rows, plus our negatives, types borrowed when it has none.
    `c`: the regularisation strength; None chooses it by cross-validation on `examples`."""
    taxonomy = taxonomy or load_taxonomy()
    shipped = read_corpus(taxonomy=taxonomy)
    negatives = [e for e in shipped if e.level1 == NONE]
    has_types = sum(1 for e in examples if e.type) >= len(examples) / 2
    c = choose_c(examples) if c is None else c
    return WorkOrderModel.train(
        [*examples, *negatives], taxonomy, c=c, type_examples=None if has_types else shipped,
        meta={"source": source, "city_examples": len(examples), "c": c})


def choose_c(examples: Sequence[Example]) -> float:
    """The C of C_GRID with the best 3-fold first-level accuracy of a linear SVM on the export."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import cross_val_score

    from dataservice.work_orders.model import analyze, linear_svm, normalize

    labels = np.array([e.level1 for e in examples])
    folds = min(3, int(np.min(np.unique(labels, return_counts=True)[1])))
    if folds < 2:
        return C_GRID[1]
    x = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float32).fit_transform(
        [normalize(e.text) for e in examples])
    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    scores = [cross_val_score(linear_svm(c), x, labels, cv=cv).mean()
              for c in C_GRID]
    return C_GRID[int(np.argmax(scores))]


def cross_validate(examples: Sequence[Example], taxonomy: Taxonomy | None = None,
                   folds: int = FOLDS) -> CrossValidation:
    """Stratified k-fold (by first-level class) accuracy of `train_city_model` on the export
    (C is chosen once on the whole export, so the figure is slightly optimistic)."""
    taxonomy = taxonomy or load_taxonomy()
    c = choose_c(examples)
    labels = np.array([e.level1 for e in examples])
    smallest = int(np.min(np.unique(labels, return_counts=True)[1]))
    folds = max(2, min(folds, smallest))
    hits1 = hits2 = with_l2 = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(labels, labels):
        model = train_city_model([examples[i] for i in train], taxonomy, c=c)
        for i in test:
            prediction = model.predict(examples[i].text)
            hits1 += prediction.level1[0][0] == examples[i].level1
            if examples[i].level2:
                with_l2 += 1
                hits2 += examples[i].level2 in [c[1] for c in prediction.candidates[:3]]
    return CrossValidation(folds, hits1 / len(examples), hits2 / with_l2 if with_l2 else None)


def main(input_path: Path, out: Path, folds: int = FOLDS) -> int:
    taxonomy = load_taxonomy()
    examples = read_export(Path(input_path), taxonomy)
    classes = sorted({e.level1 for e in examples})
    if len(classes) < 2:
        print(f"{input_path}: at least two first-level classes are needed, found {len(classes)}")
        return 2
    print(f"{len(examples)} work orders in {len(classes)} first-level classes")
    if folds >= 2:
        cv = cross_validate(examples, taxonomy, folds)
        line = f"{cv.folds}-fold cross-validated first-level accuracy: {cv.level1_accuracy:.1%}"
        if cv.level2_top3 is not None:
            line += f"; second-level top-3: {cv.level2_top3:.1%}"
        print(line)
    model = train_city_model(examples, taxonomy, source=f"city export {Path(input_path).name}")
    model.save(Path(out))
    print(f"regularisation C={model.meta['c']} (chosen by 3-fold cross-validation)")
    print(f"model written to {out}; use it with TICKET_CLASSIFIER_MODEL={out}")
    return 0
