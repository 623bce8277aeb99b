"""Shared by the data migrations that give the staff roles their permissions (not a migration:
the loader skips names starting with an underscore)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_to_roles(role_permissions: dict[str, list[str]], app_label: str = "clinic"):
    """A RunPython that adds each role's permissions (and takes them back when reversed)."""

    def permissions(apps, codenames):
        Permission = apps.get_model("auth", "Permission")
        return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)

    def grant(apps, schema_editor):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        for name, codenames in role_permissions.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*permissions(apps, codenames))

    def revoke(apps, schema_editor):
        for group in apps.get_model("auth", "Group").objects.filter(name__in=role_permissions):
            group.permissions.remove(*permissions(apps, role_permissions[group.name]))

    return migrations.RunPython(grant, revoke)
