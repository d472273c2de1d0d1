"""Cross-validation of the shipped work-order classifier on its TRAINING corpus only.

The corpus has two kinds of messages: hand-written ones (`messages_zh_a/_b/_c`, `messages_en`,
`messages_en_b`) and ones generated from hand-written fragments (`*_gen.jsonl`). Generated messages
share their fragments across folds, so testing on them flatters the model; here only hand-written
messages are ever tested. They are split into k stratified folds (by language and first-level
class); each fold is tested on a model trained, with the shipped training code, on the other folds
plus every generated message and every negative. Reported per language: message-type accuracy,
first-level accuracy, second-level top-3, and the second-level classes with the lowest top-3
(where more training text is most needed). Nothing under tests/ is read.

    nice -n 10 .venv/dataservice/bin/python bench/work_order_cv.py [--folds 5] [--weakest 15]
        [--lang en] [--c 0.5 --alpha 1 --beta 0.25]   # NB-SVM settings; default: the shipped ones
    # what a file adds, on the same tested messages: leave it out, or train on it in every fold
    ... --without messages_zh_c.jsonl      ... --train-only messages_zh_c.jsonl
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataservice.work_orders import model as work_order_model  # noqa: E402
from dataservice.work_orders.corpus import (  # noqa: E402
    NEGATIVES_GLOB, Example, corpus_files, read_corpus_file)
from dataservice.work_orders.model import WorkOrderModel  # noqa: E402
from dataservice.work_orders.taxonomy import load_taxonomy  # noqa: E402

SEED = 13


def language(path: Path) -> str:
    return "en" if path.name.startswith("messages_en") else "zh"


def split_corpus(without: set[str], train_only: set[str]
                 ) -> tuple[list[Example], list[tuple[str, Example]]]:
    """(always trained: generated messages, negatives and `train_only` files,
    [(language, hand-written message)])."""
    taxonomy = load_taxonomy()
    always: list[Example] = []
    written: list[tuple[str, Example]] = []
    for path in corpus_files():
        if path.name in without:
            continue
        examples = read_corpus_file(path, taxonomy)
        if path.match(NEGATIVES_GLOB) or path.stem.endswith("_gen") or path.name in train_only:
            always += examples
        else:
            written += [(language(path), e) for e in examples]
    return always, written


def cross_validate(always, written, folds: int, languages: set[str], settings: dict | None = None
                   ) -> dict:
    """`settings`: keyword arguments of `WorkOrderModel.train` (c, alpha, beta)."""
    taxonomy = load_taxonomy()
    strata = np.array([f"{lang}:{e.level1}" for lang, e in written])
    results: dict[str, dict] = defaultdict(lambda: {"n": 0, "type": 0, "typed": 0, "level1": 0,
                                                     "top3": 0, "with_l2": 0,
                                                     "by_l2": defaultdict(lambda: [0, 0])})
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for fold, (train, test) in enumerate(splitter.split(strata, strata), 1):
        model = WorkOrderModel.train([*always, *(written[i][1] for i in train)], taxonomy,
                                     **(settings or {}))
        for i in test:
            lang, example = written[i]
            if lang not in languages:
                continue
            r = results[lang]
            p = model.predict(example.text)
            r["n"] += 1
            r["level1"] += p.level1[0][0] == example.level1
            if example.type:
                r["typed"] += 1
                r["type"] += bool(p.type) and p.type[0][0] == example.type
            if example.level2:
                hit = example.level2 in [c[1] for c in p.candidates[:3]]
                r["with_l2"] += 1
                r["top3"] += hit
                r["by_l2"][example.level2][0] += hit
                r["by_l2"][example.level2][1] += 1
        print(f"fold {fold}/{folds} done", file=sys.stderr)
    return results


def report(results: dict, weakest: int) -> str:
    taxonomy = load_taxonomy()
    names = {c.code: f"{c.name_zh} / {c.name_en}" for c in taxonomy.categories}
    pct = lambda a, b: f"{a / b:.1%}" if b else "–"  # noqa: E731
    lines = ["| language | hand-written messages tested | type | first level | second-level top-3 |",
             "|---|---:|---:|---:|---:|"]
    for lang, r in sorted(results.items()):
        lines.append(f"| {lang} | {r['n']} | {pct(r['type'], r['typed'])} | "
                     f"{pct(r['level1'], r['n'])} | {pct(r['top3'], r['with_l2'])} |")
    for lang, r in sorted(results.items()):
        ranked = sorted(r["by_l2"].items(), key=lambda kv: (kv[1][0] / kv[1][1], -kv[1][1]))
        lines += ["", f"Weakest second-level classes ({lang}, top-3 hits / messages):"]
        lines += [f"- {names.get(code, code)}: {hits}/{n}" for code, (hits, n) in ranked[:weakest]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--weakest", type=int, default=15)
    parser.add_argument("--lang", action="append", choices=["zh", "en"],
                        help="only report this language (all are still trained on)")
    parser.add_argument("--without", action="append", default=[],
                        help="leave this corpus file out entirely")
    parser.add_argument("--train-only", action="append", default=[],
                        help="train on this corpus file in every fold, never test on it")
    parser.add_argument("--c", type=float, default=work_order_model.C)
    parser.add_argument("--alpha", type=float, default=work_order_model.ALPHA)
    parser.add_argument("--beta", type=float, default=work_order_model.BETA)
    args = parser.parse_args(argv)
    always, written = split_corpus(set(args.without), set(args.train_only))
    settings = {"c": args.c, "alpha": args.alpha, "beta": args.beta}
    print(f"NB-SVM {settings}", file=sys.stderr)
    results = cross_validate(always, written, args.folds, set(args.lang or ["zh", "en"]), settings)
    print(report(results, args.weakest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
