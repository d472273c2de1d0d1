"""A citizen's text -> message type, work-order class, alternatives and location, in zh or en."""
from __future__ import annotations

from dataservice.text.normalize import fold
from dataservice.work_orders.location import LocationExtractor
from dataservice.work_orders.model import WorkOrderModel
from dataservice.work_orders.taxonomy import Taxonomy

MAX_ALTERNATIVES = 4


def classify(model: WorkOrderModel, locations: LocationExtractor, taxonomy: Taxonomy,
             district_names: dict[str, dict[str, str]], text: str, lang: str) -> dict:
    folded = fold(text)  # shared by the model and the location rules
    prediction = model.predict(text, folded)
    candidates = prediction.candidates
    level1, level2, _joint = candidates[0]
    score = prediction.level1[0][1]
    best = taxonomy.by_code[level2 or level1]
    place = locations.extract(text, folded)
    kind = prediction.type[0] if prediction.type else None
    return {
        "type": ({"code": kind[0], "name": taxonomy.type_by_code[kind[0]].name(lang),
                  "score": round(kind[1], 4), "stated": kind[0] == prediction.stated}
                 if kind else None),
        "category": _category(taxonomy, level1, level2, lang),
        "department": best.department(lang),
        "response_working_days": best.response_working_days,
        "score": round(score, 4),
        "confident": model.confident(prediction),
        "alternatives": [{**_category(taxonomy, l1, l2, lang), "score": round(joint, 4)}
                         for l1, l2, joint in candidates[1:1 + MAX_ALTERNATIVES]],
        "location": {
            "district": ({"code": place.district, "name": district_names[place.district][lang]}
                         if place.district in district_names else None),
            "road": place.road,
            "landmark": place.landmark,
        },
    }


def _category(taxonomy: Taxonomy, level1: str, level2: str | None, lang: str) -> dict:
    one = taxonomy.by_code[level1]
    two = taxonomy.by_code[level2] if level2 else None
    return {"level1": {"code": one.code, "name": one.name(lang)},
            "level2": {"code": two.code, "name": two.name(lang)} if two else None}
