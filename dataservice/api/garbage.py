"""Shanghai household waste sorting: which bin an item goes in, and the four categories."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from dataservice.api.deps import cached_json
from dataservice.api.params import Lang, LangQuery, query_key
from dataservice.api.responses import LIST
from dataservice.errors import ApiError
from dataservice.repositories import garbage as repo

router = APIRouter(prefix="/garbage", tags=["garbage"])


def _guide_index(request: Request) -> repo.GuideIndex:
    state = request.app.state
    index = getattr(state, "garbage_guide", None)
    if index is None:
        index = state.garbage_guide = repo.GuideIndex()
    return index


@router.get("/classify")
async def classify(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=repo.MAX_QUERY_CHARS,
                            description="Item name in Chinese or English, typos welcome")],
    lang: Lang = LangQuery,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
):
    query = " ".join(q.split())
    if not query:
        raise ApiError(422, "validation_error", "The query is empty.")
    index = _guide_index(request)

    def load(session):
        return {"query": query, "matches": index.get(session).classify(query, lang, limit)}

    return await cached_json(request, "garbage", query_key("classify", query, lang, limit), load)


@router.get("/categories", responses=LIST)
async def categories(request: Request, lang: Lang = LangQuery):
    return await cached_json(request, "garbage", f"categories:{lang}",
                             lambda session: {"items": repo.category_list(session, lang)})
