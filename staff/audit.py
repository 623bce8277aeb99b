"""The change history (django-auditlog's LogEntry) in the admin: superusers read, nobody writes.

HIPAA 164.312(b) audit controls: the trail must not be editable from the tool it audits. Other
modules may register their own LogEntry admin (list columns, pagination); `lock_down_audit_log`
runs after the admin's autodiscover and re-registers whatever is there with add, change and
delete refused and every page limited to active superusers.
"""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from staff.scope import ReadOnlyAdmin


class ReadOnlyAuditMixin(ReadOnlyAdmin):
    """Put first in the bases: these answers win over the wrapped admin's.

    Deletes are refused too: auditlog's own admin allows those that cascade from other
    objects, and the trail must outlive what it describes."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_actions(self, request):
        return {}


def lock_down_audit_log(site=None) -> type[admin.ModelAdmin]:
    """Re-register LogEntry on `site` (the default admin site) with ReadOnlyAuditMixin in front
    of the admin class registered now (auditlog's own if nobody replaced it); returns the class."""
    site = site or admin.site
    current = site.get_model_admin(LogEntry) if site.is_registered(LogEntry) else None
    base = type(current) if current is not None else LogEntryAdmin
    if issubclass(base, ReadOnlyAuditMixin):
        return base
    locked = type(f"ReadOnly{base.__name__}", (ReadOnlyAuditMixin, base), {"__module__": __name__})
    if current is not None:
        site.unregister(LogEntry)
    site.register(LogEntry, locked)
    return locked
