"""Databases: the schema, engines for SQLite and PostgreSQL, migrations."""
