"""The production model: the last promotion (or rollback), else the newest model `make train`
left in the models folder. Promotions and rollbacks add to a history that is never rewritten."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import audit
from console.models import Promotion, TrainingJob, User
from console.training.export import file_sha256


class PromotionError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class ProductionModel:
    path: Path
    sha256: str
    job_id: int | None


def _baseline(models_path: str) -> ProductionModel | None:
    folder = Path(models_path)
    found = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime) if folder.is_dir() \
        else ([folder] if folder.is_file() else [])
    if not found:
        return None
    return ProductionModel(found[-1], _cached_sha256(found[-1]), None)


_sha_cache: dict[tuple[str, float, int], str] = {}


def _cached_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_mtime, stat.st_size)
    if key not in _sha_cache:
        _sha_cache[key] = file_sha256(path)
    return _sha_cache[key]


def production(session: Session, models_path: str) -> ProductionModel | None:
    last = session.execute(select(Promotion).order_by(Promotion.id.desc()).limit(1)).scalar()
    if last is None:
        return _baseline(models_path)
    return ProductionModel(Path(last.model_path), last.model_sha256, last.job_id)


def history(session: Session) -> list[Promotion]:
    return list(session.execute(select(Promotion).order_by(Promotion.id.desc())).scalars())


def _move_to(session: Session, user: User, action: str, path: str, sha256: str,
             job_id: int | None, models_path: str) -> Promotion:
    if not Path(path).is_file():
        raise PromotionError("model_missing")
    current = production(session, models_path)
    if current is not None and current.sha256 == sha256:
        raise PromotionError("already_production")
    if current is not None and current.job_id is None and session.execute(
            select(Promotion.id).limit(1)).first() is None:
        # The model `make train` left becomes the history's first entry, so it can be rolled back to.
        session.add(Promotion(action="baseline", job_id=None, model_path=str(current.path),
                              model_sha256=current.sha256, by=user.username,
                              at=datetime.now(timezone.utc)))
    row = Promotion(action=action, job_id=job_id, model_path=path, model_sha256=sha256,
                    by=user.username, at=datetime.now(timezone.utc))
    session.add(row)
    audit.record(session, user.username, f"model.{action}", f"model:{sha256}",
                 {"model_sha256": current.sha256 if current else None,
                  "job": current.job_id if current else None},
                 {"model_sha256": sha256, "job": job_id})
    return row


def promote(session: Session, user: User, job: TrainingJob, models_path: str) -> Promotion:
    """A candidate that passed the gate becomes production; a refused one never does."""
    if job.status != "succeeded" or not (job.gate or {}).get("passed") or not job.model_path:
        raise PromotionError("gate_refused")
    return _move_to(session, user, "promote", job.model_path, job.model_sha256 or "", job.id,
                    models_path)


def rollback(session: Session, user: User, entry_id: int, models_path: str) -> Promotion:
    """Back to any model of the history (an earlier promotion or the first model)."""
    entry = session.get(Promotion, entry_id)
    if entry is None:
        raise PromotionError("never_production")
    return _move_to(session, user, "rollback", entry.model_path, entry.model_sha256,
                    entry.job_id, models_path)
