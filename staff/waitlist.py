"""Each location's waitlist, with the times offered to each entry and where each offer stands.

Read-only: entries are made by patients and offers by `clinic.scheduling.waitlist`. Scoped to
the staff member's locations (an entry waits at one or more); every row shown is in the
access log, as for other patient data.
"""

from django.contrib import admin
from django.utils import timezone

from clinic.models import WaitlistEntry, WaitlistOffer
from patients.selectors import Access, record_access, record_list_access
from staff.scope import LocationScopedAdmin, ReadOnlyAdmin, StaffLocationFilter


class WaitlistLocationFilter(StaffLocationFilter):
    id_field = "locations__id"


def _local(moment, location) -> str:
    return f"{moment.astimezone(location.zone):%a %d %b %Y %H:%M %Z}"


class WaitlistOfferInline(ReadOnlyAdmin, admin.TabularInline):
    model = WaitlistOffer
    fields = ("time", "location", "practitioner", "state", "held_until", "appointment")
    readonly_fields = fields
    extra = 0
    ordering = ("-offered_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location", "practitioner")

    @admin.display(description="time (local)")
    def time(self, offer):
        return _local(offer.start, offer.location)

    @admin.display(description="held until (local)")
    def held_until(self, offer):
        return _local(offer.expires_at, offer.location)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin, LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "locations"
    scope_distinct = True
    list_display = (
        "patient_name",
        "service",
        "location_names",
        "created_at",
        "wait_until",
        "standing",
        "latest_offer",
    )
    list_filter = (WaitlistLocationFilter, "service")
    list_select_related = ("patient", "service")
    search_fields = ("patient__last_name", "patient__first_name")
    fields = ("patient", "service", "intake", "created_at", "wait_until", "fulfilled_at")
    readonly_fields = fields
    inlines = (WaitlistOfferInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("locations", "offers__location")
            .order_by("created_at", "id")
        )

    # Entries have no public id: their primary key names them in the access log.
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            record_list_access(
                Access.of(request, via=request.get_full_path()),
                rows=[(entry.patient_id, entry.pk) for entry in changelist.result_list],
                object_type="waitlist entry list",
            )
        return response

    def get_object(self, request, object_id, from_field=None):
        entry = super().get_object(request, object_id, from_field)
        if entry is not None:
            record_access(
                Access.of(request),
                patient_id=entry.patient_id,
                object_type="waitlist entry",
                object_id=entry.pk,
            )
        return entry

    @admin.display(description="patient", ordering="patient__last_name")
    def patient_name(self, entry):
        return f"{entry.patient.first_name} {entry.patient.last_name}"

    @admin.display(description="locations")
    def location_names(self, entry):
        return ", ".join(location.name for location in entry.locations.all())

    @admin.display(description="standing")
    def standing(self, entry):
        if entry.fulfilled_at:
            return "Booked"
        if entry.wait_until and entry.wait_until <= timezone.now():
            return "Ended"
        return "Waiting"

    @admin.display(description="latest offer")
    def latest_offer(self, entry):
        offers = list(entry.offers.all())  # prefetched, newest first
        if not offers:
            return "None yet"
        offer = offers[0]
        state = offer.get_state_display()
        if offer.state == WaitlistOffer.State.HELD:
            state = f"Held until {offer.expires_at.astimezone(offer.location.zone):%H:%M %Z}"
        return f"{_local(offer.start, offer.location)} at {offer.location}: {state}"
