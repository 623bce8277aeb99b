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
from .users import User

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "Discipline",
    "InvalidTransition",
    "Location",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "NotificationStatus",
    "Practitioner",
    "Service",
    "TimeOff",
    "User",
    "WaitlistEntry",
    "WorkingHours",
]
