import hashlib

from django.db import migrations, models


def mark_existing_tokens(apps, schema_editor):
    """Tokens made before this migration belong to the owner's current password."""
    ApiToken = apps.get_model("patients", "ApiToken")
    for token in ApiToken.objects.select_related("user").iterator():
        token.password_marker = hashlib.sha256(token.user.password.encode()).hexdigest()
        token.save(update_fields=["password_marker"])


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_api_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="password_marker",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(mark_existing_tokens, migrations.RunPython.noop),
    ]
