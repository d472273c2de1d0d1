"""12345 hotline tickets: the issue-type vocabulary, ticket numbers, creation and lookup."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from dataservice.models import District, MessageType, Ticket, WorkOrderCategory
from dataservice.models.base import utcnow
from dataservice.text.bilingual import localized
from privacy import redact_text

SHANGHAI = timezone(timedelta(hours=8))

# Fixed vocabulary: code -> (zh, en, working days until the first response).
ISSUE_TYPES: dict[str, tuple[str, str, int]] = {
    "noise": ("噪声扰民", "Noise nuisance", 3),
    "road_damage": ("道路破损", "Damaged road or pavement", 3),
    "streetlight": ("路灯故障", "Broken streetlight", 3),
    "garbage_collection": ("垃圾清运", "Garbage collection", 2),
    "illegal_parking": ("违章停车", "Illegal parking", 2),
    "water_supply": ("供水问题", "Water supply problem", 1),
    "drainage": ("排水不畅", "Drainage or flooding", 1),
    "greenery": ("绿化养护", "Trees and greenery", 5),
    "public_facility": ("公共设施损坏", "Damaged public facility", 3),
    "pollution": ("环境污染", "Environmental pollution", 3),
    "other": ("其他问题", "Other", 5),
}

STATUSES: dict[str, tuple[str, str]] = {
    "received": ("已受理", "Received"),
    "assigned": ("已派单", "Assigned to a department"),
    "in_progress": ("处理中", "In progress"),
    "resolved": ("已办结", "Resolved"),
    "closed": ("已关闭", "Closed"),
}

# Crockford-style alphabet: no 0/O or 1/I/L to misread when a citizen reads the number aloud.
_SUFFIX_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_SUFFIX_LEN = 6
TICKET_NO_PATTERN = r"^12345-[0-9]{8}-[0-9A-Z]{4,8}$"


def new_ticket_no(day: date) -> str:
    # Random, not sequential: a ticket number is all it takes to read a ticket, so it must not
    # be guessable from a neighbour's (31^6 ≈ 890 million per day).
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LEN))
    return f"12345-{day:%Y%m%d}-{suffix}"


def add_working_days(start: date, days: int) -> date:
    """Working days after `start`, honouring Chinese statutory holidays and make-up workdays."""
    try:
        from chinese_calendar import is_workday
    except ImportError:  # pragma: no cover - dependency is pinned
        is_workday = None
    current = start
    while days > 0:
        current += timedelta(days=1)
        try:
            workday = is_workday(current) if is_workday else current.weekday() < 5
        except NotImplementedError:  # calendar not yet published for that year
            workday = current.weekday() < 5
        if workday:
            days -= 1
    return current


def response_days(session: Session, ticket: Ticket) -> int:
    """Working days to a first response: the work-order category's target, else the issue type's."""
    if ticket.category_code:
        category = session.get(WorkOrderCategory, ticket.category_code)
        if category is not None:
            return category.response_working_days
    return ISSUE_TYPES.get(ticket.issue_type, ISSUE_TYPES["other"])[2]


def expected_response(days: int, created: datetime) -> dict:
    local_day = created.astimezone(SHANGHAI).date()
    due = add_working_days(local_day, days)
    return {
        "working_days": days,
        "respond_by": due.isoformat(),
        "zh": f"我们将在{days}个工作日内（{due:%Y年%m月%d日}前）答复您。",
        "en": f"We will respond within {days} working day{'s' if days > 1 else ''} "
              f"(by {due:%d %b %Y}).",
    }



def phone_digits(value: str) -> str:
    """Digits of a phone number without the +86 country code (13812345678, 02112345678)."""
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def district_exists(session: Session, code: str) -> bool:
    return session.get(District, code) is not None


def category_exists(session: Session, code: str) -> bool:
    return session.get(WorkOrderCategory, code) is not None


def create_ticket(session: Session, *, issue_type: str, description: str, location: str,
                  district_code: str, contact_phone_masked: str | None, language: str,
                  message_type: str | None = None, category_code: str | None = None,
                  road: str | None = None, landmark: str | None = None,
                  channel: str | None = None) -> Ticket:
    now = utcnow()
    ticket_no = new_ticket_no(now.astimezone(SHANGHAI).date())
    while session.get(Ticket, ticket_no) is not None:  # astronomically rare, but cheap to rule out
        ticket_no = new_ticket_no(now.astimezone(SHANGHAI).date())
    # Citizens put phone and ID numbers in free text; only the redacted text is ever stored.
    ticket = Ticket(
        ticket_no=ticket_no, issue_type=issue_type, description=redact_text(description),
        location=redact_text(location),
        district_code=district_code, status="received", contact_phone_masked=contact_phone_masked,
        language=language, message_type=message_type, category_code=category_code, road=road,
        landmark=landmark, channel=channel, created_at=now, updated_at=now,
        history=[{
            "status": "received", "at": now.isoformat(),
            "note_zh": "12345热线已受理您的诉求，将分派至相关部门处理。",
            "note_en": "The 12345 hotline has received your report and will pass it to the "
                       "responsible department.",
        }],
    )
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(session: Session, ticket_no: str) -> Ticket | None:
    return session.get(Ticket, ticket_no)


def render_ticket(session: Session, ticket: Ticket, lang: str) -> dict:
    zh = lang == "zh"
    district = session.get(District, ticket.district_code)
    type_zh, type_en, _ = ISSUE_TYPES.get(ticket.issue_type, ISSUE_TYPES["other"])
    status_zh, status_en = STATUSES.get(ticket.status, (ticket.status, ticket.status))
    created = aware(ticket.created_at)
    return {
        "ticket_no": ticket.ticket_no,
        "issue_type": {"code": ticket.issue_type, "label": type_zh if zh else type_en},
        "status": {"code": ticket.status, "label": status_zh if zh else status_en},
        # Citizen text is data, never markup or a query. Redacted again on the way out for
        # tickets stored before redaction on the way in.
        "description": redact_text(ticket.description),
        "location": redact_text(ticket.location),
        "district": {"code": ticket.district_code,
                     "name": localized(district, "name", lang) if district else None},
        "contact_phone_masked": ticket.contact_phone_masked,
        "language": ticket.language,
        "created_at": created.isoformat(),
        "updated_at": aware(ticket.updated_at).isoformat(),
        "expected_response": _expected_in(response_days(session, ticket), created, lang),
        **_work_order_fields(session, ticket, lang),
        "history": [
            {"status": h["status"],
             "status_label": STATUSES.get(h["status"], (h["status"], h["status"]))[0 if zh else 1],
             "at": h["at"],
             "note": h.get("note_zh" if zh else "note_en", "")}
            for h in ticket.history
        ],
    }


def _work_order_fields(session: Session, ticket: Ticket, lang: str) -> dict:
    kind = session.get(MessageType, ticket.message_type) if ticket.message_type else None
    category = session.get(WorkOrderCategory, ticket.category_code) if ticket.category_code else None
    parent = (session.get(WorkOrderCategory, category.parent_code)
              if category is not None and category.parent_code else None)
    level1, level2 = (parent, category) if parent is not None else (category, None)

    def named(row) -> dict | None:
        return {"code": row.code, "name": localized(row, "name", lang)} if row is not None else None

    return {
        "type": named(kind),
        "category": {"level1": named(level1), "level2": named(level2)} if category else None,
        "department": localized(category, "department", lang) if category else None,
        "road": ticket.road,
        "landmark": ticket.landmark,
        "channel": ticket.channel,
    }


def _expected_in(days: int, created: datetime, lang: str) -> dict:
    full = expected_response(days, created)
    return {"working_days": full["working_days"], "respond_by": full["respond_by"],
            "text": full[lang]}


def aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
