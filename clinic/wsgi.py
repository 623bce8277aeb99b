import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_wsgi_application()

# Import the URLconf (and with it the API's routers and schemas) now, as the worker starts,
# rather than inside its first request: otherwise every worker's first caller waits ~150 ms of
# CPU, and in a burst right after a (re)start each worker pays it while others queue.
get_resolver().url_patterns  # noqa: B018 - the property loads the URLconf

# What is loaded by now lives as long as the worker: keep it out of the cyclic collector's full
# passes, which otherwise walk every module and model class and stall a request for tens of
# milliseconds (https://docs.python.org/3/library/gc.html#gc.freeze).
gc.freeze()
