"""Release many callers at the same instant, each on its own thread and database connection."""

import threading

from django.db import connections


def at_once(attempt, arguments: list[tuple], timeout: float = 60) -> list:
    """Call `attempt(*args)` for every `args`, all released together by a barrier.

    Returns what each call returned, or the exception it raised, in finishing order. Each
    thread closes its own connections, as a web worker's request would.
    """
    barrier = threading.Barrier(len(arguments))
    results = []
    lock = threading.Lock()

    def run(args):
        try:
            barrier.wait(timeout=30)
            result = attempt(*args)
        except Exception as error:  # returned for the test to assert on
            result = error
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(args,)) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
