"""The staff roles and what each may do in the admin (location scoping is in the admin code)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Triage clinician": [
        ("triage", "view_intake"),
        ("triage", "change_intake"),
        ("triage", "view_triagedecision"),
        ("triage", "add_triagedecision"),
        ("clinic", "view_appointment"),
        ("clinic", "view_location"),
        ("clinic", "view_practitioner"),
        ("patients", "view_patient"),
    ],
    "Scheduler": [
        ("triage", "view_intake"),
        ("triage", "change_intake"),
        ("triage", "view_triagedecision"),
        ("clinic", "view_appointment"),
        ("clinic", "add_appointment"),
        ("clinic", "change_appointment"),
        ("clinic", "view_location"),
        ("clinic", "view_practitioner"),
        ("clinic", "view_service"),
        ("clinic", "view_workinghours"),
        ("clinic", "view_timeoff"),
        ("clinic", "view_notification"),
        ("patients", "view_patient"),
    ],
    "Location manager": [
        ("clinic", "view_location"),
        ("clinic", "view_practitioner"),
        ("clinic", "change_practitioner"),
        ("clinic", "view_workinghours"),
        ("clinic", "add_workinghours"),
        ("clinic", "change_workinghours"),
        ("clinic", "delete_workinghours"),
        ("clinic", "view_timeoff"),
        ("clinic", "add_timeoff"),
        ("clinic", "change_timeoff"),
        ("clinic", "delete_timeoff"),
        ("clinic", "view_appointment"),
        ("clinic", "view_service"),
    ],
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in codenames
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_appointment_no_overlap"),
        ("triage", "0001_initial"),
        ("patients", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
