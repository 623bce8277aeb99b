"""Location managers keep their location's holidays; the other roles see them."""

from django.db import migrations

from clinic.migrations._role_permissions import grant_to_roles

ROLE_PERMISSIONS = {
    "Triage clinician": ["view_holiday"],
    "Scheduler": ["view_holiday"],
    "Location manager": ["view_holiday", "add_holiday", "change_holiday", "delete_holiday"],
}


class Migration(migrations.Migration):
    dependencies = [("clinic", "0008_holidays_and_contact_by")]

    operations = [grant_to_roles(ROLE_PERMISSIONS)]
