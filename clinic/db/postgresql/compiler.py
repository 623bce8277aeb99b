"""Django's PostgreSQL compilers, with one change: a bulk insert of a few rows uses VALUES.

Django 5.2 inserts several rows as UNNEST of one array per column, which PostgreSQL plans faster
for a big batch. For the handful of rows a booking writes at once (its three messages, its five
audit entries), building those arrays in Python, element by element, costs more than the
planning it saves. From UNNEST_FROM_ROWS rows on (a backlog, the demo data), Django's UNNEST
stands.
"""

from django.db.backends.postgresql import compiler as postgresql
from django.db.models.sql import compiler as generic

SQLCompiler = postgresql.SQLCompiler
SQLDeleteCompiler = postgresql.SQLDeleteCompiler
SQLUpdateCompiler = postgresql.SQLUpdateCompiler
SQLAggregateCompiler = postgresql.SQLAggregateCompiler

UNNEST_FROM_ROWS = 100


class SQLInsertCompiler(postgresql.SQLInsertCompiler):
    def assemble_as_sql(self, fields, value_rows):
        if len(value_rows) < UNNEST_FROM_ROWS:
            return generic.SQLInsertCompiler.assemble_as_sql(self, fields, value_rows)
        return super().assemble_as_sql(fields, value_rows)
