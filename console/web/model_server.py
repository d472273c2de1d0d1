"""The production model on Rasa's model-server protocol (`models:` in bot/endpoints.yml).

Every Rasa worker and replica polls this URL every `wait_time_between_pulls` seconds with
`If-None-Match: <the fingerprint it runs>`. The ETag is the model file's sha256: an unchanged
model answers 304 (nothing sent), a promoted one 200 with the file, which Rasa loads and swaps in
without a restart. 404 until a model exists (Rasa keeps what it has and asks again).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from console.settings import Settings
from console.training import registry
from console.web.context import db, settings

router = APIRouter()


@router.get("/model-server/model", include_in_schema=False)
def production_model(request: Request, session: Session = Depends(db),
                     cfg: Settings = Depends(settings)) -> Response:
    model = registry.production(session, cfg.models_path)
    if model is None or not model.path.is_file():
        return Response(status_code=404)
    etag = model.sha256
    asked = request.headers.get("if-none-match", "")
    # Rasa sends its fingerprint bare; HTTP clients send the quoted ETag.
    if etag in {tag.strip().strip('"').removeprefix("W/").strip('"') for tag in asked.split(",")}:
        return Response(status_code=304, headers={"ETag": etag})
    return FileResponse(model.path, media_type="application/gzip",
                        headers={"ETag": etag, "filename": model.path.name},
                        filename=model.path.name)
