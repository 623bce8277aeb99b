"""FHIR clients (outside systems) in the admin: superusers only.

Listed with their locations and when they were last used; a superuser changes a client's
name, locations and rate limit, or revokes it (its token stops working at once). Clients are
made with `manage.py create_fhir_client`, which shows the token once; the admin never sees it.
"""

from django.contrib import admin, messages

from fhir import clients
from fhir.models import FhirClient
from staff.accounts import SuperuserOnlyAdmin


@admin.register(FhirClient)
class FhirClientAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("name", "key_prefix", "location_names", "last_used_at", "revoked_at")
    list_filter = ("locations", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "key_prefix")
    fields = (
        "name",
        "locations",
        "rate_limit",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("key_prefix", "created_at", "last_used_at", "revoked_at")
    filter_horizontal = ("locations",)
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("locations")

    @admin.display(description="Locations")
    def location_names(self, client):
        return ", ".join(location.name for location in client.locations.all())

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        # Made on the command line, where the token can be shown once.
        return False

    def has_change_permission(self, request, obj=None):
        return self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        # Revoked, never deleted: the change history and access log keep naming it.
        return False

    @admin.action(description="Revoke the selected clients (their tokens stop working)")
    def revoke(self, request, queryset):
        if not self._superuser(request):
            self.message_user(request, "Only superusers revoke FHIR clients.", messages.ERROR)
            return
        revoked = 0
        for client in queryset.filter(revoked_at__isnull=True):
            clients.client_revoke(client=client)
            revoked += 1
        self.message_user(request, f"{revoked} client(s) revoked.", messages.SUCCESS)
