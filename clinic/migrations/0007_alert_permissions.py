"""The roles' permissions for the on-call rota and the staff alerts."""

from django.db import migrations

from clinic.migrations._role_permissions import grant_to_roles

ROLE_PERMISSIONS = {
    "Triage clinician": ["view_staffalert", "change_staffalert", "view_oncallshift"],
    "Scheduler": ["view_staffalert", "change_staffalert", "view_oncallshift"],
    "Location manager": [
        "view_staffalert",
        "change_staffalert",
        "view_oncallshift",
        "add_oncallshift",
        "change_oncallshift",
        "delete_oncallshift",
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_on_call_rota_and_staff_alerts"),
        ("clinic", "0004_staff_groups"),
    ]

    operations = [grant_to_roles(ROLE_PERMISSIONS)]
