"""dbt's `adapter`, as far as SQLFluff's jinja templater needs it to render the models.

SQLFluff renders the models with the project's macros but without dbt (the dbt templater
would parse the whole project for each run); each module of this folder is one name of
the jinja context. The lint reads the DuckDB flavour of each cross-engine macro.
"""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context.get(f"duckdb__{macro_name}") or context[f"default__{macro_name}"]


def get_relation(database=None, schema=None, identifier=None):
    return None  # as on a first build: no table yet


def get_columns_in_relation(relation):
    return []
