"""12345 work orders: the taxonomy (categories, message types) and classification of free text.

Routes live under /tickets beside the tickets themselves; this router is included before the tickets
router so that /tickets/categories is not read as a ticket number.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, field_validator

from dataservice.api.deps import cached_json, json_response
from dataservice.api.params import CONTROL_CHARS, Lang, LangQuery
from dataservice.api.responses import LIST
from dataservice.errors import ApiError
from dataservice.repositories import catalogue
from dataservice.repositories import work_orders as repo
from dataservice.work_orders.classify import classify
from dataservice.work_orders.location import LocationExtractor
from dataservice.work_orders.model import ModelLoadError, WorkOrderModel
from dataservice.work_orders.shipped import load_model
from dataservice.work_orders.taxonomy import load_taxonomy

router = APIRouter(prefix="/tickets", tags=["hotline"])
log = logging.getLogger("dataservice.classifier")

MAX_TEXT_CHARS = 2000


# -- the classifier's life on the app ------------------------------------------------------------

@dataclass
class ClassifierState:
    model: WorkOrderModel | None
    error: str | None

    @property
    def status(self) -> str:
        return "ok" if self.model is not None else f"unavailable: {self.error}"


def load_classifier(settings) -> ClassifierState:
    """Called once at start-up (in a worker thread: the shipped model may need training)."""
    try:
        model = load_model(settings.ticket_classifier_model, settings.classifier_dir)
        if settings.ticket_classes:
            model = _choosing_among(model, settings.ticket_classes)
    except (ModelLoadError, OSError) as exc:
        log.error("work-order classifier not loaded, the service is not ready: %s", exc)
        return ClassifierState(None, str(exc))
    log.info("work-order classifier loaded (%s, %s examples; first-level classes: %s)",
             model.meta.get("source", "?"), model.meta.get("examples", "?"),
             ", ".join(sorted(model.choices)) if model.choices else "all")
    return ClassifierState(model, None)


def _choosing_among(model: WorkOrderModel, codes: tuple[str, ...]) -> WorkOrderModel:
    try:
        return model.choosing_among(codes)
    except ModelLoadError as exc:  # the log line names the variable to fix
        raise ModelLoadError(f"TICKET_CLASSES: {exc}") from None


_locations_lock = threading.Lock()


def _locations(state) -> tuple[LocationExtractor, dict[str, dict[str, str]]]:
    """Built on first use from the districts table (at start-up the schema may not be there yet)."""
    built = getattr(state, "locations", None)
    if built is None:
        with _locations_lock:
            built = getattr(state, "locations", None)
            if built is None:
                with state.sessionmaker() as session:
                    rows = catalogue.district_rows(session)
                names = {code: {"zh": zh, "en": en} for code, zh, en, _aliases in rows}
                built = state.locations = (LocationExtractor(rows), names)
    return built


# -- taxonomy --------------------------------------------------------------------------------------

@router.get("/categories", responses=LIST)
async def categories(request: Request, lang: Lang = LangQuery):
    """The two-level work-order classification (15 first-level, 118 second-level classes)."""
    return await cached_json(request, "work_orders", f"categories:{lang}",
                             lambda s: repo.list_categories(s, lang))


@router.get("/types", responses=LIST)
async def types(request: Request, lang: Lang = LangQuery):
    """Message types: consultation, help, complaint, report, suggestion, praise."""
    return await cached_json(request, "work_orders", f"types:{lang}",
                             lambda s: repo.list_types(s, lang))


# -- classification --------------------------------------------------------------------------------

class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    lang: Lang = "zh"

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty or blank")
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"must be at most {MAX_TEXT_CHARS} characters")
        if CONTROL_CHARS.search(value):
            raise ValueError("must not contain control characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # an unpaired surrogate ("\ud800") is no text
            raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
        return value


@router.post("/classify")
async def classify_text(body: ClassifyIn, request: Request):
    """Message type, work-order class (with alternatives) and location of a citizen's text.
    Not cached: the text may hold personal details."""
    state: ClassifierState | None = getattr(request.app.state, "classifier", None)
    if state is None or state.model is None:
        raise ApiError(503, "classifier_unavailable",
                       "The work-order classifier is not loaded; see /readyz.")
    locations, names = _locations(request.app.state)
    args = (state.model, locations, load_taxonomy(), names, body.text, body.lang)
    if state.model.vectors is None:
        # A few milliseconds of CPU under the GIL: computed inline, a thread hop would only add to it.
        return json_response(classify(*args))
    # A sentence vector takes tens of milliseconds (the encoder releases the GIL): off the loop.
    return json_response(await run_in_threadpool(classify, *args))


async def start(app) -> None:
    """Load the classifier onto the app (start-up)."""
    app.state.classifier = await run_in_threadpool(load_classifier, app.state.settings)
