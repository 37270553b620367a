"""dbt's `flags` for SQLFluff's jinja templater (see adapter.py): a `dbt build`."""

WHICH = "build"
FULL_REFRESH = False
