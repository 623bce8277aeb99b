"""PostgreSQL holds the last word on double booking: no two active appointments of one
practitioner may overlap, buffers included. SQLite has no exclusion constraints; there the
booking service's immediate transactions serialize writers instead."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT_SQL = """
ALTER TABLE clinic_appointment
  ADD CONSTRAINT appointment_no_overlap
  EXCLUDE USING gist (
    practitioner_id WITH =,
    tstzrange("start", blocked_until, '[)') WITH &&
  ) WHERE (status = 'booked')
"""
DROP_SQL = "ALTER TABLE clinic_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSTRAINT_SQL)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0002_initial")]

    operations = [
        BtreeGistExtension(),  # a no-op on databases other than PostgreSQL
        migrations.RunPython(add_constraint, drop_constraint),
    ]
