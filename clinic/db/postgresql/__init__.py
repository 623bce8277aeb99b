"""Django's PostgreSQL backend with small bulk inserts as VALUES (see `compiler`)."""
