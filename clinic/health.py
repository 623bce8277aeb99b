"""Liveness of the two shared pieces of state: the database and the Celery broker."""

import os

import redis
from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def broker_ok() -> bool:
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
            return bool(client.ping())
        except redis.RedisError:
            return False
    # kombu's filesystem transport: the broker is a folder the web, worker and beat share.
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"]
    os.makedirs(folder, exist_ok=True)
    return os.access(folder, os.W_OK)
