"""Loading the classifier: a city's own model file, or the shipped model built from the corpus.

The shipped model is trained from `seed/data/work_orders/` into a directory under `var/` and stamped
with a hash of everything it depends on (corpus, taxonomy, the training code, scikit-learn's
version); it is trained again only when that hash changes. A file lock makes concurrent processes
(several workers, parallel test runs) train it once.
"""
from __future__ import annotations

import fcntl
import logging
from functools import lru_cache
from pathlib import Path

import sklearn

from dataservice.work_orders import message_type, model as model_module, nbsvm
from dataservice.work_orders.corpus import corpus_files, digest, read_corpus
from dataservice.work_orders.model import WorkOrderModel
from dataservice.work_orders.taxonomy import TAXONOMY_FILE, load_taxonomy

log = logging.getLogger("dataservice.classifier")
MODEL_FILE = "shipped.joblib"
STAMP_FILE = "shipped.sha256"


# The training code as this process imported it (read once: a process still running older code
# must not stamp a model with the hash of newer code on disk).
_CODE = b"".join(Path(f).read_bytes() for f in (model_module.__file__, nbsvm.__file__,
                                                 message_type.__file__, __file__)).hex()


def shipped_digest() -> str:
    return digest([*corpus_files(), TAXONOMY_FILE], _CODE, sklearn.__version__)


def ensure_shipped_model(directory: Path) -> Path:
    """The shipped model's file, trained first if missing or out of date."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path, stamp = directory / MODEL_FILE, directory / STAMP_FILE
    want = shipped_digest()
    if _current(path, stamp, want):
        return path
    with (directory / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be training it right now
        if not _current(path, stamp, want):
            log.info("training the work-order classifier (corpus or code changed)")
            trained = train_shipped_corpus(digest=want)
            trained.save(path)
            stamp.write_text(want + "\n")
            log.info("work-order classifier written to %s (threshold %.2f)", path, trained.threshold)
    return path


def train_shipped_corpus(sentence_vectors: bool = False, **meta) -> WorkOrderModel:
    """The shipped model's training: our corpus with the model's own settings. With
    `sentence_vectors`, a model a city may train itself (`train-classifier --shipped-corpus`)."""
    source = "shipped corpus" + (" with sentence vectors" if sentence_vectors else "")
    return WorkOrderModel.train(read_corpus(), load_taxonomy(), meta={"source": source, **meta},
                                sentence_vectors=sentence_vectors)


def _current(path: Path, stamp: Path, want: str) -> bool:
    return path.is_file() and stamp.is_file() and stamp.read_text().strip() == want


def load_model(city_model: str | None, shipped_dir: Path) -> WorkOrderModel:
    """The city's model when one is configured (never silently the shipped one instead), else the
    shipped model. Raises ModelLoadError with a message that says which file and why."""
    path = Path(city_model) if city_model else ensure_shipped_model(shipped_dir)
    stat = path.stat() if path.is_file() else None
    return _load_cached(str(path.resolve()), stat.st_mtime_ns if stat else 0)


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime_ns: int) -> WorkOrderModel:
    # One copy per process and file version: apps built in the same process share it.
    return WorkOrderModel.load(Path(path))
