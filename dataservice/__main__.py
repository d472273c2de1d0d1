"""Command line: `python -m dataservice migrate|seed|serve|up|train-classifier`."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dataservice.settings import REPO_ROOT, ConfigurationError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dataservice")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply Alembic migrations to DATABASE_URL")
    sub.add_parser("seed", help="load the sample data (idempotent)")
    for name in ("serve", "up"):
        p = sub.add_parser(name, help="serve the API" if name == "serve" else "migrate, seed, serve")
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--host", default=None)
        p.add_argument("--port", type=int, default=None)
    train = sub.add_parser("train-classifier",
                           help="train the work-order classifier on a city's own export")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", type=Path,
                        help="CSV (header row) or JSONL: text, level1, [level2], [type]")
    source.add_argument("--shipped-corpus", action="store_true",
                        help="the project's own corpus, as the shipped model (for a city without "
                             "a history that wants --sentence-vectors)")
    train.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "city-classifier.joblib")
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: skip)")
    train.add_argument("--sentence-vectors", action="store_true",
                       help="add the sentence-vector view: more accurate on a city's history, "
                            "about 50 ms of CPU per row to train and tens of ms on unsure messages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    log = logging.getLogger("dataservice")
    try:
        settings = Settings.from_env()
        if args.command != "migrate":  # the schema holds no secret; seeding and serving do
            settings.refuse_if_insecure()
    except ConfigurationError as exc:
        log.error("refusing to start: %s", exc)
        return 2
    if args.command in ("seed", "serve", "up") and not _sources_load(log):
        return 2

    if args.command == "train-classifier":
        from dataservice.work_orders import training
        from dataservice.work_orders.corpus import CorpusError

        try:
            if args.shipped_corpus:
                return training.main_shipped_corpus(args.out, args.sentence_vectors)
            return training.main(args.input, args.out, args.folds, args.sentence_vectors)
        except (CorpusError, OSError) as exc:
            print(f"train-classifier: {exc}", file=sys.stderr)
            return 2

    if args.command in ("migrate", "up"):
        from dataservice.migrate import upgrade

        log.info("migrating %s", _safe_url(settings.database_url))
        upgrade(settings.database_url)
    if args.command in ("seed", "up"):
        from dataservice import seed
        from dataservice.db import make_engine, make_sessionmaker

        if settings.using_dev_pepper:
            log.warning("DATASERVICE_PEPPER is not set: seeding digests with the development pepper")
        engine = make_engine(settings.database_url)
        counts = seed.run(make_sessionmaker(engine), seed.SeedContext(pepper=settings.pepper))
        engine.dispose()
        seed.bump_cache_versions(settings.redis_url, settings.cache_prefix)
        log.info("seeded sample data: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
        from dataservice.work_orders.shipped import ensure_shipped_model

        # Trained now (only when the corpus changed) so that `serve` starts without waiting.
        ensure_shipped_model(settings.classifier_dir)
    if args.command in ("serve", "up"):
        import uvicorn

        if settings.using_dev_key:
            log.warning("development API key in use: X-API-Key: %s", settings.api_keys[0])
        uvicorn.run("dataservice.asgi:app", host=args.host or settings.host,
                    port=args.port or settings.port, workers=args.workers,
                    log_level="warning", access_log=False)
    return 0


def _sources_load(log: logging.Logger) -> bool:
    """Import every router, seed loader and partner adapter (they are registered by explicit
    imports) before anything starts, so that a missing or broken one is named, not skipped."""
    try:
        import dataservice.main  # noqa: F401 - the routers and partner adapters
        import dataservice.seed  # noqa: F401 - the seed loaders
    except ImportError as exc:
        log.error("refusing to start: %s cannot be imported: %s", exc.name, exc)
        return False
    except Exception:
        log.exception("refusing to start: a source module is broken")
        return False
    return True


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
