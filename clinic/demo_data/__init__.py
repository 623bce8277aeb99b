"""Demo and benchmark data for `manage.py seed_demo`.

- `catalogue`: the fictional clinic network (locations, services, practitioners, demo logins).
- `demo`: `demo_seed()`, the idempotent demo network, and `logins_table()`.
- `bulk`: `bulk_seed(...)`, additive data at clinic-network scale for benchmarks.
"""

from clinic.demo_data.bulk import BulkReport, bulk_seed
from clinic.demo_data.catalogue import DEMO_PASSWORD, LOGINS
from clinic.demo_data.demo import DemoDataError, DemoReport, demo_seed, logins_table

__all__ = [
    "DEMO_PASSWORD",
    "LOGINS",
    "BulkReport",
    "DemoDataError",
    "DemoReport",
    "bulk_seed",
    "demo_seed",
    "logins_table",
]
