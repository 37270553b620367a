"""Say on the page why a KPI is n/a (issue 12): a banner naming the contract tables this page
needs that the last refresh landed empty, and a caption under each shown KPI that is n/a (or
a 0 standing for "no input"), from the map in revops/dashboard/inputs.py and the row counts
the publish recorded in meta.raw_volumes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

from revops.dashboard import data, inputs


@dataclass(frozen=True)
class LastLanding:
    run_id: str | None
    empty: frozenset[str]  # raw tables with 0 rows in the last published run


def last_landing() -> LastLanding:
    """Raw tables with no rows in the latest published run (none known: an empty set)."""
    has_volumes = data.scalar(
        "select count(*) from duckdb_tables() where schema_name = 'meta' "
        "and table_name = 'raw_volumes'"
    )
    run_id = data.scalar("select run_id from meta.refreshes order by published_at desc limit 1")
    if not has_volumes or run_id is None:
        return LastLanding(None, frozenset())
    frame = data.query(
        "select table_name from meta.raw_volumes where run_id = ? and rows = 0", (run_id,)
    )
    return LastLanding(str(run_id), frozenset(frame["table_name"]))


def banner(page: str) -> LastLanding:
    """A warning naming the inputs of `page` that the last refresh landed empty."""
    landing = last_landing()
    empty = [t for t in inputs.page_tables(page) if t in landing.empty]
    if empty:
        names = ", ".join(inputs.shown_name(t) for t in empty)
        st.warning(
            f"The last refresh (run {(landing.run_id or '')[:8]}) landed no rows in {names}. "
            "The numbers on this page that need them are n/a or 0; each says so below it.",
            icon=":material/database_off:",
        )
    return landing


def captions(page: str, values: dict[str, object], landing: LastLanding | None = None) -> None:
    """One caption per shown KPI (label -> value) that is n/a or stands for missing input."""
    landing = landing or last_landing()
    for label, value in values.items():
        kpi = inputs.BY_LABEL.get((page, label))
        if kpi is None:
            continue
        reason = inputs.why(kpi, value, landing.empty, landing.run_id)
        if reason:
            st.caption(reason)


def empty_table(
    page: str,
    what: str,
    landing: LastLanding | None = None,
    tables: Iterable[str] | None = None,
) -> None:
    """Instead of a bare "no rows": name the inputs (`tables`, else every input of the page)
    that the last refresh landed empty."""
    landing = landing or last_landing()
    tables = inputs.page_tables(page) if tables is None else list(tables)
    empty = [t for t in tables if t in landing.empty]
    if empty:
        names = ", ".join(inputs.shown_name(t) for t in empty)
        st.info(
            f"No {what} in the chosen range: no {names} rows were landed in the last refresh "
            f"(run {(landing.run_id or '')[:8]})."
        )
    else:
        st.info(f"No {what} in the chosen range.")
