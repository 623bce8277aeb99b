from .alerts import ContactOutcome, Holiday, OnCallShift, StaffAlert, StaffAlertEvent
from .appointments import Appointment, AppointmentEvent, AppointmentStatus, InvalidTransition
from .notifications import Notification, NotificationChannel, NotificationKind, NotificationStatus
from .organisation import (
    Discipline,
    Location,
    Practitioner,
    Service,
    TimeOff,
    WaitlistEntry,
    WorkingHours,
)
from .users import StaffEnrolmentLink, User

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "ContactOutcome",
    "Discipline",
    "Holiday",
    "InvalidTransition",
    "Location",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "NotificationStatus",
    "OnCallShift",
    "Practitioner",
    "Service",
    "StaffAlert",
    "StaffAlertEvent",
    "StaffEnrolmentLink",
    "TimeOff",
    "User",
    "WaitlistEntry",
    "WorkingHours",
]
