"""dbt's `target` for SQLFluff's jinja templater (see adapter.py): the DuckDB target."""

type = "duckdb"
database = "work"
schema = "main"
