from celery import shared_task

from outcomes import series


@shared_task(ignore_result=True)
def advance_follow_ups() -> tuple[int, int]:
    return series.follow_ups_advance()
