"""Location managers book, move and cancel visits for patients at their locations, as the
schedulers do: they record time off and must deal with the visits it clashes with."""

from django.db import migrations

from clinic.migrations._role_permissions import grant_to_roles

ROLE_PERMISSIONS = {"Location manager": ["add_appointment", "change_appointment"]}


class Migration(migrations.Migration):
    dependencies = [("clinic", "0011_change_requests_and_referral_messages")]

    operations = [grant_to_roles(ROLE_PERMISSIONS)]
