"""The short report printed after a successful refresh: what was published and where to look."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _fmt_money(value) -> str:
    return "n/a" if value is None else f"${value:,.0f}"


def _fmt_rate(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def print_summary(serving: Path) -> None:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        refresh = con.execute(
            "select as_of_date, published_at from meta.refreshes order by published_at desc limit 1"
        ).fetchall()[0]
        tables = con.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "where schema_name = 'marts' order by 1"
        ).fetchall()
        sales = con.execute(
            "select month, bookings_usd, won_count, win_rate, forecast_accuracy, "
            "open_opportunities from marts.kpi_sales_monthly order by month desc limit 3"
        ).fetchall()
        revenue = con.execute(
            "select month, sum(mrr_usd), count(*) filter (where mrr_usd > 0), "
            "count(*) filter (where movement_type = 'new'), "
            "count(*) filter (where movement_type = 'churn') "
            "from marts.fct_mrr group by month order by month desc limit 3"
        ).fetchall()
    finally:
        con.close()

    print(
        f"\nPublished {serving} (data as of {refresh[0]}, published {refresh[1]:%Y-%m-%d %H:%M} UTC)"
    )
    for name, rows in tables:
        print(f"  {name:<40} {rows:>10,} rows")
    print("\nSales, latest months (new business + expansion):")
    print(
        f"  {'month':<10} {'bookings':>14} {'won':>6} {'win rate':>9} {'forecast acc.':>14} {'open opps':>10}"
    )
    for month, bookings, won, win_rate, accuracy, open_opps in sales:
        print(
            f"  {month:%Y-%m}    {_fmt_money(bookings):>14} {won:>6} {_fmt_rate(win_rate):>9} "
            f"{_fmt_rate(accuracy):>14} {open_opps:>10,}"
        )
    print("\nRevenue, latest months (month-end MRR of resolved customers):")
    print(f"  {'month':<10} {'MRR':>14} {'ARR':>14} {'paying':>7} {'new':>5} {'churned':>8}")
    for month, mrr, paying, new, churned in revenue:
        print(
            f"  {month:%Y-%m}    {_fmt_money(mrr):>14} {_fmt_money(mrr * 12):>14} {paying:>7,} "
            f"{new:>5} {churned:>8}"
        )
    print(
        "\nWhere to look next:\n"
        "  make dashboard   the revenue dashboard on http://127.0.0.1:8501\n"
        '  revops sql -c "select * from marts.kpi_sales_monthly order by month"   (read-only SQL;'
        " without -c: an interactive shell)\n"
        "  revops metrics list   the semantic layer's metrics (then revops metrics query ...)\n"
        "  revops docs      dbt docs: lineage and every mart column described\n"
        "  revops identity-report   identity resolution scored against the planted truth\n"
        "  make ui          Dagster UI on http://127.0.0.1:3000 (assets, checks, run history)\n"
        "  revops outbox list   CRM change files, KPI alerts and deliveries (docs/activation.md)\n"
        f"  Data Docs    {serving.parent / 'data_docs' / 'index.html'}"
    )
