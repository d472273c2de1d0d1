"""ORM models, one module per source. Importing this package registers every table on Base."""
from dataservice.models.base import Base
from dataservice.models.catalogue import District, Service
from dataservice.models.centers import Center, CenterService
from dataservice.models.appointments import Booking, IdempotencyRecord, Slot
from dataservice.models.applications import Application, AuditLog
from dataservice.models.hotline import Ticket
from dataservice.models.work_orders import MessageType, WorkOrderCategory
from dataservice.models.garbage import GarbageItem
from dataservice.models.partners import TransportCard, TransportTrip, UtilityAccount, UtilityBill

__all__ = [
    "Application", "AuditLog", "Base", "Booking", "Center", "CenterService", "District",
    "GarbageItem", "IdempotencyRecord", "MessageType", "Service", "Slot", "Ticket", "TransportCard",
    "TransportTrip", "UtilityAccount", "UtilityBill", "WorkOrderCategory",
]
