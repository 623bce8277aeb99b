"""Admin building blocks shared by the apps: location scoping and pagination for large tables.

Every staff page in the admin shows only what the staff member's locations allow. A ModelAdmin
mixes in `LocationScopedAdmin` and says how its model is scoped: by a location field
(`scope_location_field`) or, for patient data, by overriding `scoped_queryset` with one of the
`patients.selectors.scope_*` querysets. The mixin applies that scope to the list, to the
change/view/delete pages (an object outside the scope "does not exist" there, so a guessed id
confirms nothing) and to the per-object permission checks. Superusers see everything.
"""

from functools import cached_property

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet

from clinic import roles
from clinic.models import Location, Practitioner
from patients.selectors import Access, record_access, record_list_access


def staff_location_ids(request) -> set[int] | None:
    """The ids of the requester's locations, or None for a superuser (meaning: all)."""
    if request.user.is_superuser:
        return None
    return roles.location_ids(request.user)


def staff_locations(request) -> QuerySet[Location]:
    """The locations a staff member may pick in a filter or form: theirs (superusers: all)."""
    ids = staff_location_ids(request)
    locations = Location.objects.order_by("name")
    return locations if ids is None else locations.filter(id__in=ids)


def practitioners_in_scope(request) -> QuerySet[Practitioner]:
    """Practitioners working at one of the staff member's locations (superusers: all)."""
    practitioners = Practitioner.objects.order_by("display_name")
    ids = staff_location_ids(request)
    return practitioners if ids is None else practitioners.filter(locations__in=ids).distinct()


def practitioners_wholly_in_scope(request) -> QuerySet[Practitioner]:
    """Practitioners who work only at the staff member's locations (superusers: all).

    Time off has no location: it blocks a practitioner everywhere, so only someone whose scope
    covers every place the practitioner works may record or change it; a manager of one site
    sees a shared practitioner's time off but cannot block their days at another site.
    """
    ids = staff_location_ids(request)
    practitioners = practitioners_in_scope(request)
    if ids is None:
        return practitioners
    return practitioners.exclude(locations__in=Location.objects.exclude(id__in=ids))


def practitioner_wholly_in_scope(request, practitioner) -> bool:
    if practitioner is None or staff_location_ids(request) is None:
        return True
    return practitioners_wholly_in_scope(request).filter(pk=practitioner.pk).exists()


class LocationScopedAdmin:
    """Mixin for a ModelAdmin: the queryset and per-object permissions follow the staff scope.

    Set `scope_location_field` (a lookup path to a Location, e.g. "location" or
    "practitioner__locations") or override `scoped_queryset`. A path through a many-to-many
    relation sets `scope_distinct = True` so rows are not repeated. For patient data, set
    `access_log_type`: opening one record then goes into the access log, and so does every
    row a list or search page shows (with the search and filters in `via`).
    """

    scope_location_field: str | None = None
    scope_distinct = False
    access_log_type: str | None = None  # "intake", "appointment", "patient"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and self.access_log_type is not None:
            record_access(
                Access.of(request),
                patient_id=self.patient_id_of(obj),
                object_type=self.access_log_type,
                object_id=obj.public_id,
            )
        return obj

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if self.access_log_type is not None and changelist is not None:
            record_list_access(
                Access.of(request, via=request.get_full_path()),
                rows=[(self.patient_id_of(obj), obj.public_id) for obj in changelist.result_list],
                object_type=f"{self.access_log_type} list",
            )
        return response

    def patient_id_of(self, obj) -> int | None:
        return obj.patient_id

    def scoped_queryset(self, request) -> QuerySet:
        queryset = self.model._default_manager.get_queryset()
        ids = staff_location_ids(request)
        if ids is None:
            return queryset
        if self.scope_location_field is None:
            return queryset.none()
        queryset = queryset.filter(**{f"{self.scope_location_field}__in": ids})
        return queryset.distinct() if self.scope_distinct else queryset

    def get_queryset(self, request):
        queryset = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def is_in_scope(self, request, obj) -> bool:
        # Checked once per object and request: the change page asks several times.
        cache = request.__dict__.setdefault("_admin_scope_cache", {})
        key = (obj._meta.label, obj.pk)
        if key not in cache:
            cache[key] = self.scoped_queryset(request).filter(pk=obj.pk).exists()
        return cache[key]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or self.is_in_scope(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or self.is_in_scope(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or self.is_in_scope(request, obj)
        )


class LocationChoicesInScope:
    """Mixin for a ModelAdmin: its `location` field offers only the staff member's locations."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = staff_locations(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class IdFilter(admin.SimpleListFilter):
    """A list filter whose choices are ids in `id_field`; a value that is not one (a hand-edited
    URL) matches nothing rather than raising."""

    id_field: str

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.id_field: int(value)})


class StaffLocationFilter(IdFilter):
    """Filter by location, offering only the staff member's own locations."""

    title = "location"
    parameter_name = "location"
    location_field = "location"

    @property
    def id_field(self) -> str:
        return f"{self.location_field}_id"

    def lookups(self, request, model_admin):
        return [(str(location.pk), location.name) for location in staff_locations(request)]


class ReadOnlyAdmin:
    """Mixin for admins and inlines, first in the bases: rows are shown here, never added,
    changed or deleted (they change through the services, or never)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserEditsAdmin:
    """Mixin: staff with the view permission may look; only superusers add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts a whole large table, in one query whatever the size.

    Rows are counted up to `cap` only (a LIMIT inside the COUNT). Past the cap, an unfiltered
    list on PostgreSQL shows the planner's estimate (pg_class.reltuples), read in the same
    query, so a list page costs the same number of queries on 1,000 or 1,000,000 rows.
    `count_kind` tells the template (admin/pagination.html) whether to say "about" or
    "more than".
    """

    cap = 10_000
    count_kind = "exact"  # or "estimate" (planner statistics) or "capped" (more than `cap`)

    @cached_property
    def count(self):
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        counted, estimate = self._capped_count_and_estimate(queryset)
        if counted <= self.cap:
            return counted
        if estimate is not None and estimate > self.cap and not queryset.query.where:
            self.count_kind = "estimate"
            return estimate
        self.count_kind = "capped"
        return counted

    def _capped_count_and_estimate(self, queryset) -> tuple[int, int | None]:
        capped = queryset.order_by().values("pk")[: self.cap + 1]
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return capped.count(), None
        inner_sql, params = capped.query.sql_with_params()
        # inner_sql is Django's own compiled SQL with its values kept apart in `params`.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM (" + inner_sql + ") AS capped),"  # noqa: S608
                " (SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass)",
                [*params, queryset.model._meta.db_table],
            )
            counted, estimate = cursor.fetchone()
        # -1 means the table was never analysed: no estimate.
        return counted, (estimate if estimate is not None and estimate >= 0 else None)
