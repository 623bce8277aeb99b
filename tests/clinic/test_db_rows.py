"""Rows of a SELECT written in SQL come back as the instances a queryset gives (clinic.db.rows):
same values, same types (dates, booleans, JSON, UUIDs), on PostgreSQL and, in
test_availability_sqlite, on SQLite."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from clinic.db import rows
from clinic.models import Notification, NotificationChannel, NotificationKind, User
from patients.models import Patient
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def stored_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def read(model, alias: str, sql: str, params) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(columns=rows.columns(model, alias)), params)
        return [rows.instance(model, row) for row in cursor.fetchall()]


def test_an_instance_from_sql_equals_the_one_the_orm_reads():
    message = Notification.objects.create(
        channel=NotificationChannel.EMAIL,
        kind=NotificationKind.BOOKING_CONFIRMATION,
        recipient="zoe@example.test",
        key="rows:1",
        template="notifications/booking_confirmation",
        context={"name": "Zoë", "visits": [1, 2]},
        due_at=timezone.now() + dt.timedelta(days=2),
    )
    patient = PatientFactory()

    (from_sql,) = read(Notification, "n", "SELECT {columns} FROM clinic_notification n", [])
    (patient_from_sql,) = read(
        Patient, "p", "SELECT {columns} FROM patients_patient p WHERE p.id = %s", [patient.pk]
    )

    assert stored_values(from_sql) == stored_values(Notification.objects.get(pk=message.pk))
    assert from_sql.context == {"name": "Zoë", "visits": [1, 2]}
    assert from_sql.due_at.tzinfo is not None
    assert stored_values(patient_from_sql) == stored_values(Patient.objects.get(pk=patient.pk))
    assert patient_from_sql._state.adding is False  # a saved row: saving it again updates it


def test_booleans_come_back_as_booleans_and_a_missing_joined_row_as_none():
    staff = UserFactory(is_staff=True)
    sql = (
        "SELECT {columns} FROM clinic_user u LEFT JOIN patients_patient p ON p.user_id = u.id "
        "WHERE u.id = %s"
    )

    (user,) = read(User, "u", sql, [staff.pk])
    (no_patient,) = read(Patient, "p", sql, [staff.pk])

    assert user.is_staff is True
    assert user.is_active is True
    assert user.email == staff.email
    assert no_patient is None
