"""The PostgreSQL backend (clinic.db.postgresql): Django's, but a bulk insert of a few rows is a
plain VALUES list, and a big batch stays Django's UNNEST. Either way every row is stored whole."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.db.postgresql.compiler import UNNEST_FROM_ROWS
from clinic.models import Notification, NotificationChannel, NotificationKind

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def messages(count: int, tag: str) -> list[Notification]:
    return [
        Notification(
            channel=NotificationChannel.EMAIL,
            kind=NotificationKind.BOOKING_CONFIRMATION,
            recipient=f"runner{n}@example.test",
            key=f"{tag}:{n}",
            template="notifications/booking_confirmation",
            context={"n": n, "name": "Zoë"},
            due_at=timezone.now(),
        )
        for n in range(count)
    ]


def inserted_sql(rows: list[Notification]) -> str:
    with CaptureQueriesContext(connection) as queries:
        Notification.objects.bulk_create(rows)
    (insert,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    return insert


def test_the_settings_use_the_clinic_backend_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "clinic.db.postgresql"
    assert connection.vendor == "postgresql"


def test_a_few_rows_are_one_values_list_and_stored_whole():
    sql = inserted_sql(messages(3, "few"))

    assert "VALUES" in sql
    assert "UNNEST" not in sql
    stored = Notification.objects.filter(key__startswith="few:").order_by("key")
    assert [(n.recipient, n.context) for n in stored] == [
        (f"runner{n}@example.test", {"n": n, "name": "Zoë"}) for n in range(3)
    ]


def test_a_big_batch_stays_unnest_and_is_stored_whole():
    sql = inserted_sql(messages(UNNEST_FROM_ROWS, "many"))

    assert "UNNEST" in sql
    stored = Notification.objects.filter(key__startswith="many:")
    assert stored.count() == UNNEST_FROM_ROWS
    assert stored.get(key="many:42").context == {"n": 42, "name": "Zoë"}
