"""Work-order taxonomy: upsert categories and message types by code from the taxonomy file."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dataservice.models import MessageType, WorkOrderCategory
from dataservice.seed.context import SeedContext
from dataservice.work_orders.taxonomy import load_taxonomy


def load(session: Session, ctx: SeedContext) -> int:
    taxonomy = load_taxonomy()
    for t in taxonomy.types:
        session.merge(MessageType(code=t.code, name_zh=t.name_zh, name_en=t.name_en,
                                  position=t.position))
    for c in taxonomy.categories:  # parents come first in the file
        session.merge(WorkOrderCategory(
            code=c.code, level=c.level, parent_code=c.parent_code, name_zh=c.name_zh,
            name_en=c.name_en, department_zh=c.department_zh, department_en=c.department_en,
            response_working_days=c.response_working_days, position=c.position))
        session.flush()
    return len(taxonomy.categories) + len(taxonomy.types)
