"""Stratified k-fold cross-validation of the intent classifier on the TRAINING data (data/nlu).

Runs the real Rasa NLU components of a pipeline config (tokenizer and featurizers, then the intent
classifier) per fold, without the rest of `rasa train` (entity extractors, dialogue policies): a
5-fold run of config.yml takes 3-4 minutes on 2 cores instead of five full trainings. It reports,
pooled over the folds and per language (the `_zh` / `_en` suffix of the file an example comes from):

- raw accuracy: the classifier's top intent, no fallback;
- accuracy at the tuned threshold: as bench/nlu_eval.py counts it (a message whose top confidence
  is below the threshold becomes nlu_fallback; for a gold out_of_scope message nlu_fallback and
  out_of_scope both count as correct);
- accuracy at the threshold on our own lines only (without the CLINC150 negatives, whose number
  is itself compared: scripts/build_clinc_negatives.py --per-intent N --out ...);
- in-scope rejection: share of in-scope messages that end as nlu_fallback or out_of_scope;
- CLINC150 oos_val recall at the tuned threshold.

The threshold of each fold is chosen on CLINC150 oos_val ONLY (tests/nlu_eval/clinc150_eval.json,
the same rule as `bench/nlu_eval.py --tune`): the lowest threshold on the 0.05 grid from 0.10 whose
oos_val recall (top intent out_of_scope or confidence below the threshold) reaches --target-recall
(default 92%). oos_val is never trained on. Nothing under tests/nlu_heldout/ is read.
With only 100 oos_val messages that threshold moves by a grid step between runs; to compare two
versions of the data, also compare them at one fixed --threshold.

Each --classifier is a pipeline entry as in config.yml (JSON); all of them are trained on the same
featurized folds, so they are compared on identical splits. Without one, the config's own
classifier is used. Several --config files can be compared too (each is featurized on its own).

    PYTHONPATH=. nice -n 10 .venv/rasa/bin/python bench/nlu_cv.py
    PYTHONPATH=. nice -n 10 .venv/rasa/bin/python bench/nlu_cv.py --config config.yml \\
        --classifier '{"name": "LogisticRegressionClassifier", "max_iter": 1000}' \\
        --classifier '{"name": "bot.nlu.intent_classifier.TfidfLogisticRegressionClassifier", "C": 10}'
    ... --errors     # also list the misclassified training examples (pooled over folds)
    ... --timing     # also time the whole NLU pipeline (featurizers + classifier) per message

Options: --data DIR (another copy of data/nlu, e.g. to compare two versions of the data),
--folds 5, --seed 20261128, --target-recall 0.92, --threshold X (fixed threshold instead of
tuning), --json FILE (machine-readable results).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
warnings.filterwarnings("ignore")
REJECT = {"out_of_scope", "nlu_fallback"}
# Its size is itself a setting under comparison, so accuracy is also reported without its lines.
CLINC_FILE = "out_of_scope_clinc150"
GRID = [x / 100 for x in range(10, 96, 5)]


def component_class(name: str):
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    return DefaultV1Recipe._from_registry(name).clazz


def is_intent_classifier(cls) -> bool:
    from rasa.nlu.classifiers.classifier import IntentClassifier

    return issubclass(cls, IntentClassifier) and cls.__name__ != "FallbackClassifier"


def load_examples(data_dir: Path = ROOT / "data" / "nlu") -> tuple[list[dict], Any]:
    """Every intent example of data/nlu with its language; and the merged TrainingData (for the
    lookup tables, regexes and synonyms the featurizers need)."""
    from rasa.shared.nlu.training_data.loading import load_data

    rows, merged = [], None
    for f in sorted(Path(data_dir).glob("*.yml")):
        td = load_data(str(f))
        merged = td if merged is None else merged.merge(td)
        lang = "zh" if f.stem.endswith("_zh") else "en"
        for m in td.intent_examples:
            rows.append({"text": m.get("text"), "intent": m.get("intent"),
                         "entities": m.get("entities") or [], "lang": lang, "file": f.name})
    return rows, merged


def load_oos_val() -> list[str]:
    d = json.loads((ROOT / "tests" / "nlu_eval" / "clinc150_eval.json").read_text())
    return [t for t, _ in d["oos_val"]]


class Pipeline:
    """The featurizing part of a config's NLU pipeline, trained on one fold."""

    def __init__(self, entries: list[dict], storage_dir: Path) -> None:
        from rasa.engine.graph import ExecutionContext
        from rasa.engine.graph import GraphSchema
        from rasa.engine.storage.local_model_storage import LocalModelStorage

        self.storage = LocalModelStorage(storage_dir)
        self.context = ExecutionContext(GraphSchema({}), "cv")
        self.entries = entries
        self.components: list = []

    def build(self, entry: dict, index: int):
        from rasa.engine.storage.resource import Resource

        cls = component_class(entry["name"])
        config = {**cls.get_default_config(), **{k: v for k, v in entry.items() if k != "name"}}
        self.context.node_name = f"{cls.__name__}_{index}"
        return cls.create(config, self.storage, Resource(f"{cls.__name__}_{index}_{id(self)}"),
                          self.context)

    def train(self, td) -> None:
        for i, entry in enumerate(self.entries):
            comp = self.build(entry, i)
            if hasattr(comp, "train"):
                comp.train(td)
            comp.process_training_data(td)
            self.components.append(comp)

    def process(self, messages: list) -> list:
        for comp in self.components:
            comp.process(messages)
        return messages


def split_config(path: Path) -> tuple[list[dict], list[dict], dict]:
    import rasa.shared.utils.io
    from rasa.nlu.featurizers.featurizer import Featurizer
    from rasa.nlu.tokenizers.tokenizer import Tokenizer

    cfg = rasa.shared.utils.io.read_yaml_file(str(path))
    featurizers, classifiers, fallback = [], [], {}
    for entry in cfg["pipeline"]:
        cls = component_class(entry["name"])
        if cls.__name__ == "FallbackClassifier":
            fallback = entry
        elif is_intent_classifier(cls):
            classifiers.append(entry)
        elif issubclass(cls, (Tokenizer, Featurizer)):
            featurizers.append(entry)
        # Entity extractors and the synonym mapper do not feed the intent classifier.
    return featurizers, classifiers, fallback


def message(row: dict, with_label: bool):
    from rasa.shared.nlu.training_data.message import Message

    data = {"text": row["text"]}
    if with_label:
        data.update(intent=row["intent"], entities=row["entities"])
    return Message(data=data)


def top(msg) -> tuple[str, float]:
    intent = msg.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def tune(oos_preds: list[tuple[str, float]], target: float) -> float:
    for thr in GRID:
        if sum(n == "out_of_scope" or c < thr for n, c in oos_preds) / len(oos_preds) >= target:
            return thr
    return GRID[-1]


def final(name: str, conf: float, thr: float) -> str:
    return "nlu_fallback" if conf < thr else name


def run(config: Path, classifiers: list[dict], args) -> dict:
    from sklearn.model_selection import StratifiedKFold
    from rasa.shared.nlu.training_data.training_data import TrainingData

    featurizers, own, fallback = split_config(config)
    classifiers = classifiers or own
    rows, merged = load_examples(args.data)
    oos_val = load_oos_val()
    strata = [f"{r['intent']}|{r['lang']}" for r in rows]
    skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    per_clf: dict[int, dict] = {i: {"preds": {}, "oos": [], "thr": [], "train_s": 0.0,
                                    "infer_s": 0.0, "infer_n": 0}
                                for i in range(len(classifiers))}
    feat_s = 0.0
    pipeline_timing = []
    for fold, (tr, te) in enumerate(skf.split(rows, strata)):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            td = TrainingData([message(rows[i], True) for i in tr], merged.entity_synonyms,
                              merged.regex_features, merged.lookup_tables)
            pipe = Pipeline(featurizers, Path(tmp))
            pipe.train(td)
            test_msgs = pipe.process([message(rows[i], False) for i in te])
            oos_msgs = pipe.process([message({"text": t}, False) for t in oos_val])
            feat_s += time.perf_counter() - t0
            for ci, entry in enumerate(classifiers):
                clf = pipe.build(entry, 100 + ci)
                t0 = time.perf_counter()
                clf.train(td)
                per_clf[ci]["train_s"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                for m in test_msgs:  # one message at a time, as the server does
                    clf.process([m])
                per_clf[ci]["infer_s"] += time.perf_counter() - t0
                per_clf[ci]["infer_n"] += len(test_msgs)
                clf.process(oos_msgs)
                oos = [top(m) for m in oos_msgs]
                thr = args.threshold if args.threshold is not None else tune(oos, args.target_recall)
                per_clf[ci]["thr"].append(thr)
                per_clf[ci]["oos"] += [final(n, c, thr) for n, c in oos]
                for i, m in zip(te, test_msgs):
                    n, c = top(m)
                    per_clf[ci]["preds"][i] = (n, c, final(n, c, thr))
                if args.timing and fold == 0 and ci == len(classifiers) - 1:
                    pipeline_timing.append(time_pipeline(pipe, clf, [rows[i] for i in te][:300]))
        print(f"  fold {fold + 1}/{args.folds} done", file=sys.stderr)
    out = {"config": str(config), "folds": args.folds, "seed": args.seed,
           "featurize_s_per_fold": feat_s / args.folds, "results": []}
    for ci, entry in enumerate(classifiers):
        r = per_clf[ci]
        out["results"].append(summarize(entry, rows, r, args))
    if pipeline_timing:
        out["pipeline_ms_per_message"] = pipeline_timing[0]
    return out


def time_pipeline(pipe: Pipeline, clf, rows: list[dict]) -> float:
    t0 = time.perf_counter()
    for r in rows:
        msgs = pipe.process([message(r, False)])
        clf.process(msgs)
    return (time.perf_counter() - t0) / len(rows) * 1000


def summarize(entry: dict, rows: list[dict], r: dict, args) -> dict:
    by_lang: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for i, (name, conf, fin) in r["preds"].items():
        row = rows[i]
        gold, c = row["intent"], by_lang[row["lang"]]
        c["n"] += 1
        c["raw_ok"] += name == gold
        ok = fin == gold or (gold == "out_of_scope" and fin in REJECT)
        c["ok"] += ok
        if not row["file"].startswith(CLINC_FILE):
            c["own_n"] += 1
            c["own_ok"] += ok
        if gold != "out_of_scope":
            c["in_scope"] += 1
            c["rejected"] += fin in REJECT
        if not ok:
            errors.append((row["lang"], row["text"], gold, fin, name, conf))
    res = {"classifier": entry, "threshold_mean": sum(r["thr"]) / len(r["thr"]),
           "thresholds": r["thr"],
           "oos_val_recall": sum(p in REJECT for p in r["oos"]) / len(r["oos"]),
           "train_s_per_fold": r["train_s"] / args.folds,
           "classifier_ms_per_message": r["infer_s"] / r["infer_n"] * 1000, "languages": {}}
    tot = Counter()
    for lang, c in sorted(by_lang.items()):
        tot.update(c)
        res["languages"][lang] = {"n": c["n"], "raw_accuracy": c["raw_ok"] / c["n"],
                                  "accuracy": c["ok"] / c["n"],
                                  "own_accuracy": c["own_ok"] / max(c["own_n"], 1),
                                  "in_scope_rejected": c["rejected"] / c["in_scope"]}
    res["in_scope_rejected"] = tot["rejected"] / tot["in_scope"]
    res["errors"] = sorted(errors, key=lambda e: (e[0], e[2], e[1]))
    return res


def report(out: dict, show_errors: bool) -> None:
    print(f"\n{out['config']}: {out['folds']}-fold CV (seed {out['seed']}), featurizing "
          f"{out['featurize_s_per_fold']:.1f}s/fold")
    if "pipeline_ms_per_message" in out:
        print(f"whole NLU pipeline without entity extractors: {out['pipeline_ms_per_message']:.2f} ms/message")
    for res in out["results"]:
        print(f"\n  classifier {json.dumps(res['classifier'], ensure_ascii=False)}")
        print(f"    threshold (per fold, from oos_val): {', '.join(f'{t:.2f}' for t in res['thresholds'])}"
              f"; oos_val recall {res['oos_val_recall']:.1%}")
        for lang, v in res["languages"].items():
            print(f"    {lang} (n={v['n']}): raw accuracy {v['raw_accuracy']:.1%}, accuracy at threshold "
                  f"{v['accuracy']:.1%} ({v['own_accuracy']:.1%} without CLINC lines), "
                  f"in-scope rejected {v['in_scope_rejected']:.1%}")
        print(f"    in-scope rejected (both): {res['in_scope_rejected']:.1%}; train "
              f"{res['train_s_per_fold']:.1f}s/fold; predict {res['classifier_ms_per_message']:.2f} ms/message")
        if show_errors:
            for lang, text, gold, fin, name, conf in res["errors"]:
                print(f"      ({lang}) {text!r}: {gold} -> {fin} (top {name} {conf:.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", action="append", type=Path)
    ap.add_argument("--classifier", action="append", type=json.loads, default=[])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "nlu",
                    help="NLU training data directory (default data/nlu)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--target-recall", type=float, default=0.92)
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    outs = []
    for config in args.config or [ROOT / "config.yml"]:
        out = run(config, args.classifier, args)
        report(out, args.errors)
        outs.append(out)
    if args.json:
        args.json.write_text(json.dumps(outs, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
