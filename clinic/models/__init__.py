from .alerts import ContactOutcome, Holiday, OnCallShift, StaffAlert, StaffAlertEvent
from .appointments import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    ChangeRequest,
    InvalidTransition,
)
from .feeds import CalendarFeed
from .notifications import Notification, NotificationChannel, NotificationKind, NotificationStatus
from .organisation import (
    DateOverride,
    Discipline,
    Location,
    Practitioner,
    Service,
    TimeOff,
    WaitlistEntry,
    WorkingHours,
)
from .users import StaffEnrolmentLink, User
from .waitlist import WaitlistOffer

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "CalendarFeed",
    "ChangeRequest",
    "ContactOutcome",
    "DateOverride",
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
    "WaitlistOffer",
    "WorkingHours",
]
