import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_wsgi_application()

# What is loaded by now lives as long as the worker: keep it out of the cyclic collector's full
# passes, which otherwise walk every module and model class and stall a request for tens of
# milliseconds (https://docs.python.org/3/library/gc.html#gc.freeze).
gc.freeze()
