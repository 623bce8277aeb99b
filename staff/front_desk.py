"""The front desk: staff book, move and cancel visits for a patient (a phone call, a walk-in).

Each page goes through the same scheduling services as the patient's own pages, with the staff
flags (`online=False`, `by_patient=False`): the times listed are `available_slots`, asked with
`availability_clock` so staff see (and may book) times inside the patients' minimum notice, and
staff may change a visit after the patients' 24-hour cutoff. The no-overlap rule is never
relaxed: a time taken meanwhile answers 409 with the nearest free ones. Records are read through
the `patients.selectors` (another location's patient or visit is a 404, and the read is logged);
the services audit the change and plan the patient's message with its calendar file.
"""

import itertools
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from clinic import scheduling
from clinic.models import Service
from patients.selectors import (
    Access,
    access_appointment,
    access_patient,
    record_list_access,
    search_patients,
)
from staff.forms import (
    BookSearchForm,
    CancelForm,
    FreeTimesForm,
    MoveForm,
    PatientSearchForm,
    ScheduleBookForm,
)
from staff.scope import practitioners_in_scope, staff_locations

BOOK_PERMISSION = "clinic.add_appointment"
CHANGE_PERMISSION = "clinic.change_appointment"
DAYS_SHOWN = 7


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(model_admin, request, **extra) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, **extra}


def free_times(*, service, location, practitioner, first_day, days, exclude=None) -> list:
    """[(local date, [row])] of the times staff may offer, from the one source of free times."""
    slots = scheduling.available_slots(
        service=service,
        locations=[location],
        date_from=first_day,
        # The last date, kept inside the calendar for a first day near the year 9999.
        date_to=first_day + min(timedelta(days=days - 1), date.max - first_day),
        practitioner=practitioner,
        now=scheduling.availability_clock(timezone.now(), by_staff=True),
        exclude_appointment=exclude,
    )
    return [
        (day, [slot_row(slot) for slot in day_slots])
        for day, day_slots in itertools.groupby(slots, key=lambda slot: slot.local_start.date())
    ]


def slot_row(slot) -> dict:
    return {
        "key": scheduling.slot_key(slot),
        "slot": slot,
        # Formatted here: the template's time filter would use the server's zone instead.
        "time": f"{slot.local_start:%H:%M}\N{EN DASH}{slot.local_end:%H:%M}",
        "day": f"{slot.local_start:%a %d %b}",
        "within_target": True,
    }


def nearest_rows(appointment, start=None) -> list[dict]:
    """Up to three free times nearest the visit's own, for a one-click move."""
    slots = scheduling.nearest_alternatives(
        service=appointment.service,
        location=appointment.location,
        start=start or appointment.start,
        now=scheduling.availability_clock(timezone.now(), by_staff=True),
        exclude_appointment=appointment,
    )
    return [slot_row(slot) for slot in sorted(slots, key=lambda slot: slot.start)]


def _back(request, appointment) -> str:
    """Where to go after a change: the page that sent us (same site only), else the visit."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:clinic_appointment_change", args=[appointment.pk])


def _default_when(location) -> dict:
    zone = location.zone if location else None
    return {"date_from": timezone.localdate(timezone=zone).isoformat(), "days": DAYS_SHOWN}


# --- Book -----------------------------------------------------------------------------------------
BOOK_TEMPLATE = "admin/clinic/appointment/front_desk_book.html"


def book_page(model_admin, request):
    """Find the patient, then a free time, then book it (`appointment_book(online=False)`)."""
    _require(request, BOOK_PERMISSION)
    if "patient" not in request.GET:
        return _patient_search(model_admin, request)
    patient = access_patient(Access.of(request), public_id=request.GET["patient"])
    locations = staff_locations(request)
    practitioners = practitioners_in_scope(request).filter(is_active=True)
    services = Service.objects.order_by("name")
    context = _context(
        model_admin,
        request,
        title=f"Book a visit for {patient}",
        patient=patient,
        days=None,
        hidden_patient=[("patient", str(patient.public_id))],
    )
    status, alternatives = 200, []
    if request.method == "POST":
        form = ScheduleBookForm(request.POST, services=services, locations=locations)
        search = BookSearchForm(
            request.POST, services=services, locations=locations, practitioners=practitioners
        )
        if form.is_valid() and search.is_valid():
            practitioner, start = form.cleaned_data["slot"]
            service, location = form.cleaned_data["service"], form.cleaned_data["location"]
            try:
                appointment = scheduling.appointment_book(
                    patient=patient,
                    service=service,
                    location=location,
                    practitioner=practitioner,
                    start=start,
                    intake=scheduling.intake_for_booking(patient=patient, service=service),
                    booked_by=request.user,
                    online=False,
                )
            except scheduling.SlotTaken as taken:
                messages.error(request, f"{taken} The nearest free times are listed first.")
                status, alternatives = 409, [slot_row(slot) for slot in taken.alternatives]
            except scheduling.NotAllowed as refused:
                messages.error(request, f"Nothing was booked: {refused}")
                status = 400
            else:
                messages.success(request, f"Booked: {appointment}. The patient is notified.")
                return HttpResponseRedirect(_back(request, appointment))
        else:
            errors = [e for f in (form, search) for errs in f.errors.values() for e in errs]
            messages.error(request, "Nothing was booked: " + " ".join(errors))
            status = 400
    else:
        first = locations.first()
        data = (
            request.GET
            if "service" in request.GET
            else {
                "service": getattr(services.filter(bookable_online=True).first(), "slug", ""),
                "location": getattr(first, "slug", ""),
                **_default_when(first),
            }
        )
        search = BookSearchForm(
            data, services=services, locations=locations, practitioners=practitioners
        )
    context["search"] = search
    if search.is_valid():
        data = search.cleaned_data
        context.update(
            service=data["service"],
            location=data["location"],
            alternatives=alternatives,
            days=free_times(
                service=data["service"],
                location=data["location"],
                practitioner=data["practitioner"],
                first_day=data["date_from"],
                days=data["days"],
            ),
        )
    elif status == 200:
        status = 400
    return TemplateResponse(request, BOOK_TEMPLATE, context, status=status)


def _patient_search(model_admin, request):
    form = PatientSearchForm(request.GET if "q" in request.GET else None)
    found = []
    if form.is_valid():
        found = search_patients(request.user, form.cleaned_data["q"])
        record_list_access(
            Access.of(request, via=request.get_full_path()),
            rows=[(patient.pk, patient.public_id) for patient in found],
            object_type="patient list",
        )
    context = _context(
        model_admin, request, title="Book a visit for a patient", form=form, found=found
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return TemplateResponse(request, BOOK_TEMPLATE, context, status=status)


# --- Move -----------------------------------------------------------------------------------------
MOVE_TEMPLATE = "admin/clinic/appointment/front_desk_move.html"


def move_page(model_admin, request, public_id):
    """Another free time (any practitioner at the same location) for a booked visit."""
    _require(request, CHANGE_PERMISSION)
    appointment = access_appointment(Access.of(request), public_id=public_id)
    context = _context(
        model_admin,
        request,
        title=f"Move {appointment.patient}'s visit",
        appointment=appointment,
        next=request.POST.get("next") or request.GET.get("next", ""),
    )
    if not appointment.is_active:
        context["blocker"] = (
            f"This visit is {appointment.get_status_display().lower()}: it cannot be moved."
        )
        return TemplateResponse(request, MOVE_TEMPLATE, context, status=409)
    status, alternatives = 200, []
    if request.method == "POST":
        form = MoveForm(request.POST, location=appointment.location)
        if form.is_valid():
            practitioner, start = form.cleaned_data["slot"]
            try:
                moved = scheduling.appointment_reschedule(
                    appointment=appointment,
                    actor=request.user,
                    start=start,
                    practitioner=practitioner,
                    by_patient=False,
                )
            except scheduling.SlotTaken as taken:
                messages.error(request, f"{taken} The nearest free times are listed first.")
                status, alternatives = 409, [slot_row(slot) for slot in taken.alternatives]
            except (scheduling.NotAllowed, scheduling.InvalidTransition) as refused:
                messages.error(request, f"The visit was not moved: {refused}")
                status = 400
            else:
                messages.success(request, f"Moved: {moved}. The patient is notified.")
                return HttpResponseRedirect(_back(request, moved))
        else:
            messages.error(request, " ".join(form.errors["slot"]))
            status = 400
    practitioners = practitioners_in_scope(request).filter(
        is_active=True, locations=appointment.location
    )
    search = FreeTimesForm(
        request.GET if "date_from" in request.GET else _default_when(appointment.location),
        practitioners=practitioners,
    )
    context.update(
        search=search,
        alternatives=alternatives,
        days=None,
        hidden_next=[("next", context["next"])] if context["next"] else [],
    )
    if search.is_valid():
        context["days"] = free_times(
            service=appointment.service,
            location=appointment.location,
            practitioner=search.cleaned_data["practitioner"],
            first_day=search.cleaned_data["date_from"],
            days=search.cleaned_data["days"],
            exclude=appointment,
        )
    elif status == 200:
        status = 400
    return TemplateResponse(request, MOVE_TEMPLATE, context, status=status)


# --- Cancel ---------------------------------------------------------------------------------------
CANCEL_TEMPLATE = "admin/clinic/appointment/front_desk_cancel.html"


def cancel_page(model_admin, request, public_id):
    """Cancel a visit with a reason (`appointment_cancel(by_patient=False)`)."""
    _require(request, CHANGE_PERMISSION)
    appointment = access_appointment(Access.of(request), public_id=public_id)
    form = CancelForm(request.POST if request.method == "POST" else None)
    context = _context(
        model_admin,
        request,
        title=f"Cancel {appointment.patient}'s visit",
        appointment=appointment,
        form=form,
        next=request.POST.get("next") or request.GET.get("next", ""),
    )
    if not appointment.is_active:
        context["blocker"] = (
            f"This visit is {appointment.get_status_display().lower()}: it cannot be cancelled."
        )
        return TemplateResponse(request, CANCEL_TEMPLATE, context, status=409)
    if request.method != "POST":
        return TemplateResponse(request, CANCEL_TEMPLATE, context)
    if not form.is_valid():
        return TemplateResponse(request, CANCEL_TEMPLATE, context, status=400)
    try:
        scheduling.appointment_cancel(
            appointment=appointment,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            by_patient=False,
        )
    except (scheduling.NotAllowed, scheduling.InvalidTransition) as refused:
        messages.error(request, f"The visit was not cancelled: {refused}")
        return TemplateResponse(request, CANCEL_TEMPLATE, context, status=409)
    messages.success(request, f"Cancelled: {appointment}. The patient is told.")
    return HttpResponseRedirect(_back(request, appointment))
