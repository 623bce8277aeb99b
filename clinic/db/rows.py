"""Model instances from the columns of a SELECT written in SQL, read as the ORM reads them.

For the few statements that every request makes, where building the ORM's form of a join costs
more Python than the database spends answering it. `columns(model, alias)` names a model's
columns for the SELECT list; `instance(model, values)` turns those values back into an
instance, through the same converters the ORM applies (SQLite's text dates and integer
booleans, JSON, a field's own `from_db_value`), so the instance is what a queryset would give.
Django's own `Manager.raw()` does this for one model a row; these rows hold several (a token
with its user and patient record, a service with a location), so a statement of one model uses
`raw()` instead.
"""

from functools import cache

from django.db import connection


def columns(model, alias: str) -> str:
    """The SELECT list of every concrete column of `model` in the table aliased `alias`."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def width(model) -> int:
    """How many values `columns` names: where the next model's columns start in a row."""
    return len(model._meta.concrete_fields)


@cache
def _reader(model, vendor: str) -> tuple[list[str], list[tuple], int]:
    """The attnames of the concrete fields in `columns`' order, each column's (expression,
    converters), and the position of the primary key."""
    fields = model._meta.concrete_fields
    conversions = []
    for field in fields:
        expression = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(expression)
        converters += expression.get_db_converters(connection)
        conversions.append((expression, tuple(converters)))
    attnames = [field.attname for field in fields]
    return attnames, conversions, attnames.index(model._meta.pk.attname)


def instance(model, values):
    """The instance of `model` whose columns (as `columns` named them) hold `values`; None when
    its primary key is NULL (a LEFT JOIN that found no row)."""
    attnames, conversions, pk_at = _reader(model, connection.vendor)
    if values[pk_at] is None:
        return None
    converted = []
    for (expression, converters), value in zip(conversions, values, strict=True):
        for converter in converters:
            value = converter(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)
