"""The notification log: read-only, scoped, with a resend action for schedulers."""

from django.contrib import admin, messages

from clinic import notifications, roles
from clinic.models import Notification, NotificationKind, NotificationStatus
from patients.selectors import scope_notifications
from staff.scope import EstimatedCountPaginator, LocationScopedAdmin, ReadOnlyAdmin

RESENDABLE = (NotificationStatus.SENT, NotificationStatus.FAILED)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin, LocationScopedAdmin, admin.ModelAdmin):
    list_display = (
        "due_at",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind", "channel")
    search_fields = ("recipient", "=key")
    ordering = ("-due_at",)
    sortable_by = ("due_at",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ("resend",)
    fields = (
        "kind",
        "channel",
        "recipient",
        "key",
        "subject",
        "template",
        "context",
        "appointment",
        "intake",
        "due_at",
        "status",
        "attempts",
        "last_error",
        "claimed_at",
        "sent_at",
        "created_at",
    )
    readonly_fields = fields

    def scoped_queryset(self, request):
        return scope_notifications(request.user)

    def has_resend_permission(self, request):
        return self.has_view_permission(request) and roles.has_role(request.user, roles.SCHEDULER)

    @admin.action(description="Resend", permissions=["resend"])
    def resend(self, request, queryset):
        resent = skipped = 0
        for notification in queryset:
            if notification.status not in RESENDABLE or (
                notification.kind == NotificationKind.ACCOUNT
                and not {"rendered", "account_email"} & set(notification.context)
            ):
                skipped += 1
                continue
            notifications.resend(notification=notification)
            resent += 1
        self.message_user(
            request, f"{resent} message(s) will be sent again within a minute.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} message(s) skipped: only sent or failed messages can be resent, and "
                "an account email whose text was removed once sent cannot be (the person can "
                "ask again).",
                messages.WARNING,
            )
