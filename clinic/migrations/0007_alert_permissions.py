"""The roles' permissions for the on-call rota and the staff alerts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def grant(apps, schema_editor):
    app_config = apps.get_app_config("clinic")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="clinic", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    codenames = {codename for names in ROLE_PERMISSIONS.values() for codename in names}
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="clinic", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_on_call_rota_and_staff_alerts"),
        ("clinic", "0004_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
