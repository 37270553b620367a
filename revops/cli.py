"""The `revops` command: generate data, refresh the warehouse, open the UI or a SQL shell."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from revops import paths

DEFAULT_UI_PORT = 3000
DEFAULT_DASHBOARD_PORT = 8501


def _cmd_generate(args: argparse.Namespace) -> int:
    from revops.generator import generate
    from revops.generator.identity_variations import parse_families

    out = Path(args.out).resolve() if args.out else paths.landing_dir()
    if args.append_days:
        return _append_days(out, args.append_days, args.seed)
    print(f"generating scale {args.scale} (seed {args.seed}, {args.months} months) into {out}")
    started = time.perf_counter()
    if args.layout == "connectors":
        from revops.generator.connectors import generate_connectors

        summary = generate_connectors(
            out,
            scale=args.scale,
            seed=args.seed,
            months=args.months,
            identity_variations=parse_families(args.identity_variations),
        )
        print(
            f"wrote the connector tables of {', '.join(summary['tools']) or 'no tool'} and "
            f"the other contract tables under {out / 'contract'} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        return 0
    summary = generate(
        out,
        scale=args.scale,
        seed=args.seed,
        months=args.months,
        progress=lambda msg: print(f"  {msg}", flush=True),
        identity_variations=parse_families(args.identity_variations),
    )
    rows = sum(t["rows"] for t in summary["tables"].values())
    size = sum(t["bytes"] for t in summary["tables"].values())
    print(
        f"wrote {len(summary['tables'])} tables, {rows:,} rows, {size / 2**20:.1f} MiB "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _append_days(out: Path, days: int, seed: int) -> int:
    from revops.generator.append import append_days, last_landed_day

    if not any(out.glob("*/*/*")):
        print(f"error: no landing files in {out}; run `revops generate` first.", file=sys.stderr)
        return 2
    first = last_landed_day(out)
    print(f"landing {days} more day(s) of extracts after {first} into {out}")
    started = time.perf_counter()
    written = append_days(out, days, seed=seed)
    for name, rows in written.items():
        print(f"  {name}: {rows:,} rows")
    print(f"wrote {sum(written.values()):,} rows in {time.perf_counter() - started:.1f} s")
    return 0


def _cmd_land(args: argparse.Namespace) -> int:
    from revops.landing_mapping import MappingError, land, preset_path

    out = Path(args.out).resolve() if args.out else paths.landing_dir()
    source = args.source or args.source_dir
    source_dir = Path(source).resolve() if source else None
    started = time.perf_counter()
    try:
        mapping = preset_path(args.preset) if args.preset else Path(args.mapping)
        if args.preset and source_dir is None:
            raise MappingError(
                f"--preset {args.preset} needs --source: the folder or DuckDB file the "
                "connector wrote its tables to"
            )
        landed = land(
            mapping, out, source_dir, strict=args.strict, naming=args.naming, schema=args.schema
        )
    except MappingError as error:
        print(f"error: {error}\nnothing was written to {out}", file=sys.stderr)
        return 2
    for item in landed:
        print(f"  {item.table:<34} {item.rows:>9,} rows  {item.path}")
    for item in landed:
        for warning in item.warnings:
            print(f"warning: {warning} (--strict makes this an error)", file=sys.stderr)
    _print_kpi_gaps(out)
    print(
        f"landed {len(landed)} table(s) into {out} in {time.perf_counter() - started:.1f} s; "
        "tables no mapping filled load as empty tables (see _landing.json)"
    )
    return 0


def _print_kpi_gaps(out: Path) -> None:
    """Which KPIs the landing so far leaves null or partial, from the dbt graph."""
    from revops.landing_mapping import landed_columns
    from revops.lineage import describe_gaps, kpi_gaps, load

    try:
        lineage = load()
    except Exception as error:  # the landing is written; the forecast of KPIs is extra
        print(f"(could not read the dbt graph to say which KPIs stay null: {error})")
        return
    for line in describe_gaps(kpi_gaps(lineage, landed_columns(out))):
        print(line)


def _cmd_lineage(args: argparse.Namespace) -> int:
    from revops.lineage import DOC_PATH, load, render

    page = render(load())
    if args.write:
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(page)
        print(f"wrote {DOC_PATH.relative_to(paths.REPO_ROOT)}")
    else:
        print(page, end="")
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from revops.refresh import run_refresh

    return run_refresh(job_name=args.job, engine=args.engine)


def _cmd_validate(args: argparse.Namespace) -> int:
    from revops.validate import run_validate

    return run_validate()


def _cmd_bench(args: argparse.Namespace) -> int:
    from revops.bench import run_bench

    for _ in range(args.repeat):
        run_bench(args.scale, Path(args.out).resolve(), keep=args.keep)
    return 0


def _cmd_metrics(args: argparse.Namespace) -> int:
    from revops.metrics import SemanticLayer, SemanticLayerError, print_table

    try:
        with SemanticLayer(paths.serving_db()) as layer:
            if args.metrics_command == "list":
                for name, aggregation, description, dimensions in layer.metrics():
                    print(f"{name:<30} {aggregation}")
                    print(f"    {description}")
                    if args.dimensions:
                        print(f"    by: {', '.join(dimensions)}")
                return 0
            table = layer.query(
                metrics=args.metrics.split(","),
                group_by=args.group_by.split(",") if args.group_by else None,
                where=args.where,
                order_by=args.order_by.split(",") if args.order_by else None,
                limit=args.limit,
            )
    except SemanticLayerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print_table(table, args.format)
    return 0


def _cmd_identity_report(args: argparse.Namespace) -> int:
    from revops.identity_report import print_identity_report

    warehouse = Path(args.warehouse) if args.warehouse else paths.serving_db()
    return print_identity_report(paths.landing_dir(), warehouse)


def _cmd_status(args: argparse.Namespace) -> int:
    from revops.status import run_status

    return run_status()


def _cmd_ui(args: argparse.Namespace) -> int:
    home = paths.prepare_dagster_home()
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster),
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home}); Ctrl-C stops it")
    os.execv(command[0], command)
    return 0  # not reached


def dashboard_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """`streamlit run` of the dashboard: local only, headless, no usage statistics, no links
    out, no file watcher."""
    app = Path(__file__).parent / "dashboard" / "app.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--browser.serverAddress",
        host,
        "--server.showEmailPrompt",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--server.enableAgentApi",
        "false",
        "--client.showErrorLinks",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def _cmd_dashboard(args: argparse.Namespace) -> int:
    paths.export_environment()
    os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    command = dashboard_command(args.port, args.host)
    print(
        f"Dashboard on http://{args.host}:{args.port} reading {paths.serving_db()} (read-only); "
        "Ctrl-C stops it"
    )
    os.execv(command[0], command)
    return 0  # not reached


def _cmd_sql(args: argparse.Namespace) -> int:
    from revops.sql import run_sql

    return run_sql(args.command, paths.serving_db())


def _cmd_docs(args: argparse.Namespace) -> int:
    from revops.docs import run_docs

    return run_docs(port=args.port, serve=not args.no_serve)


def _cmd_dbt_sources(args: argparse.Namespace) -> int:
    from revops import contract_docs, dbt_sources

    for path in [*dbt_sources.write_all(), contract_docs.write()]:
        print(f"wrote {path.relative_to(paths.REPO_ROOT)}")
    return 0


def _cmd_export_raw(args: argparse.Namespace) -> int:
    from revops.spark import export_raw, raw_parquet_dir

    work = Path(args.warehouse) if args.warehouse else paths.work_db()
    out = Path(args.out) if args.out else raw_parquet_dir()
    counts = export_raw(work, out)
    for table, rows in counts.items():
        print(f"{out / (table + '.parquet')}  {rows:,} rows")
    return 0


def _cmd_spark_cluster(args: argparse.Namespace) -> int:
    from revops.spark import LOCAL_CLUSTER_DIR
    from revops.spark_cluster import STATE_FILE, SparkCluster, start_cluster

    folder = paths.warehouse_dir() / LOCAL_CLUSTER_DIR
    running = SparkCluster.load(folder) if (folder / STATE_FILE).exists() else None
    if args.action == "start":
        if running is not None:
            print(f"already running: Thrift server on 127.0.0.1:{running.thrift_port} ({folder})")
            return 0
        cluster = start_cluster(folder)
        print(
            f"Spark master {cluster.master_url}, one worker, Thrift server on "
            f"127.0.0.1:{cluster.thrift_port}; logs in {folder / 'logs'}.\n"
            "`revops refresh --engine spark` uses it; `revops spark-cluster stop` stops it."
        )
    elif args.action == "stop":
        if running is None:
            print("no local Spark cluster is running")
            return 0
        running.stop()
        print("stopped the local Spark cluster")
    else:
        if running is None:
            print("no local Spark cluster is running")
            return 1
        print(f"Thrift server on 127.0.0.1:{running.thrift_port}, processes {running.pids}")
    return 0


def _cmd_outbox(args: argparse.Namespace) -> int:
    from revops.activation.outbox_command import run_outbox

    return run_outbox(args.outbox_command, args.destination, getattr(args, "pending", False))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revops",
        description="RevOps Warehouse: one source of truth for marketing, sales, success and "
        "finance, built by Dagster + dbt on DuckDB and gated by Great Expectations.",
        epilog="Paths: REVOPS_LANDING_DIR (default data/landing), REVOPS_WAREHOUSE_DIR "
        "(default warehouse/: work.duckdb is written by refreshes, serving.duckdb is published).",
    )
    sub = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="write a synthetic company's exports into the landing folder",
        description="Write every landing table of the contract (CSV, Parquet, JSONL) for a "
        "coherent synthetic B2B SaaS company, plus the planted truth in _truth/. "
        "The same arguments give byte-identical files.",
    )
    gen.add_argument(
        "--scale",
        choices=["xs", "s", "m", "l"],
        default="s",
        help="customers ever acquired: xs ~200, s ~2,000, m ~20,000, l ~200,000 (default s)",
    )
    gen.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    gen.add_argument("--months", type=int, default=24, help="months of history (default 24)")
    gen.add_argument("--out", help="landing folder (default $REVOPS_LANDING_DIR or data/landing)")
    gen.add_argument(
        "--identity-variations",
        default="none",
        metavar="all|none|FAMILY,...",
        help="plant real-export variations of e-mails, websites and company names (truth "
        "unchanged; families in docs/identity.md), each company given one of them "
        "(default none)",
    )
    gen.add_argument(
        "--layout",
        choices=["contract", "connectors"],
        default="contract",
        help="contract: the landing folder (default); connectors: the same company as a "
        "managed connector (Fivetran) syncs each tool, under OUT/salesforce, OUT/hubspot, "
        "OUT/stripe, OUT/zendesk, the tables no tool has under OUT/contract, and "
        "OUT/id_map.csv (tool id -> contract id), to try `revops land --preset`",
    )
    gen.add_argument(
        "--append-days",
        type=int,
        metavar="N",
        help="instead of a new company, land the next N days' extracts of the one in --out "
        "(new rows, updated rows of existing keys, a few late rows) as extra files",
    )
    gen.set_defaults(func=_cmd_generate)

    lnd = sub.add_parser(
        "land",
        help="turn a connector's tables (--preset) or your own exports (--mapping) into "
        "contract-shaped landing files",
        description="Apply a preset for a managed connector's tables (salesforce, hubspot, "
        "stripe, zendesk: revops/presets/, Fivetran's layout by default) or your own "
        "declarative mapping (YAML: export files, and a DuckDB SQL expression per contract "
        "column; examples in mappings/), and write the landing files of the tables it fills, "
        "all or nothing. Each mapping writes only its own file per table, so presets "
        "compose: land salesforce, then hubspot, stripe and zendesk into one landing folder. "
        "Errors name the mapping (or preset) line, connector table and column. Then run "
        "`revops refresh` as usual. To adapt a preset (custom fields, stage names), copy it "
        "and pass the copy as --mapping with --source (docs/connectors.md).",
    )
    what = lnd.add_mutually_exclusive_group(required=True)
    what.add_argument("--mapping", help="the mapping file, e.g. mappings/x.yml")
    what.add_argument(
        "--preset",
        metavar="TOOL",
        help="a shipped connector preset: salesforce, hubspot, stripe or zendesk",
    )
    lnd.add_argument(
        "--source",
        help="where the connector wrote its tables: a folder (<table>.csv|.parquet|.jsonl or "
        "a folder <table>/ of such files) or a DuckDB file",
    )
    lnd.add_argument(
        "--schema",
        help="the schema of the connector's tables in a DuckDB --source (default: the only "
        "non-system schema, else main)",
    )
    lnd.add_argument(
        "--naming",
        choices=["fivetran", "airbyte", "dlt"],
        default="fivetran",
        help="the connector's naming of columns and system columns (default fivetran)",
    )
    lnd.add_argument(
        "--source-dir", help="folder of the export files (default: the mapping's source_dir)"
    )
    lnd.add_argument("--out", help="landing folder (default $REVOPS_LANDING_DIR or data/landing)")
    lnd.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings as errors (events of one subscription at the same instant, "
        "ordered by their ids alone)",
    )
    lnd.set_defaults(func=_cmd_land)

    ref = sub.add_parser(
        "refresh",
        help="load, build, gate and publish the warehouse (the Dagster job)",
        description="Run a Dagster job in this process: load every landing table into "
        "work.duckdb, build the dbt models and tests, run the Great Expectations gates, and "
        "publish serving.duckdb only if every blocking check passed. Prints a KPI summary.",
    )
    ref.add_argument(
        "--job",
        choices=["full_refresh", "nightly_refresh"],
        default="full_refresh",
        help="full_refresh reloads every landing file; nightly_refresh loads only the files "
        "added since the last load (default full_refresh)",
    )
    ref.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default=None,
        help="where dbt builds the models: duckdb (work.duckdb) or spark (the Thrift server of "
        "REVOPS_SPARK_HOST/REVOPS_SPARK_PORT, or the one `revops spark-cluster start` runs); "
        "default REVOPS_ENGINE, else duckdb. Loads, gates and publish stay on DuckDB "
        "(docs/spark.md)",
    )
    ref.set_defaults(func=_cmd_refresh)

    cluster = sub.add_parser(
        "spark-cluster",
        help="start or stop a local Spark cluster (master, worker, Thrift server)",
        description="A Spark standalone master, one worker and the Thrift server on 127.0.0.1, "
        "from the installed pyspark, with their catalog and tables under "
        "<warehouse>/spark_cluster. `revops refresh --engine spark` finds it there.",
    )
    cluster.add_argument("action", choices=["start", "stop", "status"])
    cluster.set_defaults(func=_cmd_spark_cluster)

    val = sub.add_parser(
        "validate",
        help="run the Great Expectations gates alone against the working warehouse",
        description="Run every raw and mart suite against work.duckdb (read-only) and print "
        "what failed; exits 1 when a blocking expectation fails. Builds the Data Docs.",
    )
    val.set_defaults(func=_cmd_validate)

    bench = sub.add_parser(
        "bench",
        help="measure time, rows/s and peak memory per stage at a data scale",
        description="In a scratch folder: generate (and the same company as Salesforce, "
        "HubSpot, Stripe and Zendesk connector tables, landed by the presets), full refresh "
        "(per-stage times, ten slowest "
        "dbt models, peak memory of the process tree), analyst queries on the serving file, "
        "an engine floor (the same compiled SQL and tests in one DuckDB process, no "
        "Dagster, no dbt), and two nightly refreshes (nothing new, then one appended day). "
        "Writes bench-<scale>.json and .md to --out.",
    )
    bench.add_argument("--scale", choices=["xs", "s", "m", "l"], default="xs")
    bench.add_argument("--repeat", type=int, default=1, help="run the whole benchmark N times")
    bench.add_argument("--out", default="benchmarks/results", help="where results are written")
    bench.add_argument("--keep", action="store_true", help="keep the scratch folder")
    bench.set_defaults(func=_cmd_bench)

    met = sub.add_parser(
        "metrics",
        help="list and query the semantic layer's metrics (MetricFlow) on the serving file",
        description="Every KPI defined once (dbt_project/semantic_models/), answered from the "
        "published serving.duckdb, read-only, so it works while a refresh runs.",
    )
    met_sub = met.add_subparsers(dest="metrics_command", required=True)
    met_list = met_sub.add_parser(
        "list",
        help="every metric: how it reaches a longer period (sums, period end, ratio of which "
        "parts, the grains it has) and its description",
    )
    met_list.add_argument(
        "--dimensions", action="store_true", help="also list the dimensions of each metric"
    )
    met_query = met_sub.add_parser(
        "query",
        help="query metrics",
        description="Example: revops metrics query --metrics mrr_usd,logo_churn_rate "
        "--group-by metric_time__month,customer__region --where "
        "\"{{ Dimension('customer__region') }} = 'emea'\" --format csv",
    )
    met_query.add_argument("--metrics", required=True, help="comma-separated metric names")
    met_query.add_argument(
        "--group-by", help="comma-separated: metric_time__month, customer__region, ..."
    )
    met_query.add_argument("--where", action="append", help="a MetricFlow filter (repeatable)")
    met_query.add_argument("--order-by", help="comma-separated; prefix - for descending")
    met_query.add_argument("--limit", type=int)
    met_query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    met.set_defaults(func=_cmd_metrics)

    ident = sub.add_parser(
        "identity-report",
        help="score identity resolution against the generator's planted truth",
        description="Pairwise precision and recall of people and companies in "
        "marts.identity_crosswalk against <landing>/_truth/identities.csv (written by "
        "`revops generate`), over non-internal records.",
    )
    ident.add_argument(
        "--warehouse", help="DuckDB file to score (default: the published serving.duckdb)"
    )
    ident.set_defaults(func=_cmd_identity_report)

    status = sub.add_parser(
        "status",
        help="what is published now, and how the latest runs went",
        description="Print the last successful publish (run, time, data as-of date, rows per "
        "mart) and the latest Dagster runs; for a failed latest run, the failed steps and checks.",
    )
    status.set_defaults(func=_cmd_status)

    ui = sub.add_parser(
        "ui",
        help="start the Dagster UI on 127.0.0.1",
        description="Start `dagster dev` for this project, bound to 127.0.0.1.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ui.add_argument(
        "--port", type=int, default=DEFAULT_UI_PORT, help=f"port (default {DEFAULT_UI_PORT})"
    )
    ui.set_defaults(func=_cmd_ui)

    dash = sub.add_parser(
        "dashboard",
        help="start the revenue dashboard (Streamlit) on 127.0.0.1",
        description="Start the Streamlit dashboard reading only serving.duckdb, read-only "
        "(keeps working while a refresh runs); usage statistics off, no network.",
    )
    dash.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    dash.add_argument(
        "--port",
        type=int,
        default=DEFAULT_DASHBOARD_PORT,
        help=f"port (default {DEFAULT_DASHBOARD_PORT})",
    )
    dash.set_defaults(func=_cmd_dashboard)

    sql = sub.add_parser(
        "sql",
        help="query the published warehouse, read-only",
        description="Run SQL against serving.duckdb opened read-only (works while a refresh "
        "runs). With -c, print one result and exit; without it, open Harlequin (a terminal "
        "SQL IDE) on the file, read-only and offline.",
    )
    sql.add_argument(
        "-c", "--command", help='SQL to run, e.g. "select * from marts.kpi_sales_monthly"'
    )
    sql.set_defaults(func=_cmd_sql)

    from revops.docs import DEFAULT_DOCS_PORT

    docs = sub.add_parser(
        "docs",
        help="build the dbt docs (lineage, models, columns) and serve them on 127.0.0.1",
        description="Run `dbt docs generate` into the dbt target path (the catalog is read "
        "from a copy of the published serving.duckdb, so it works while a refresh runs), "
        "then serves them on 127.0.0.1 (a static file server; no browser is opened).",
    )
    docs.add_argument(
        "--port", type=int, default=DEFAULT_DOCS_PORT, help=f"port (default {DEFAULT_DOCS_PORT})"
    )
    docs.add_argument("--no-serve", action="store_true", help="only build the docs")
    docs.set_defaults(func=_cmd_docs)

    from revops.activation.config import CONFIG_ENV, OUTBOX_ENV

    box = sub.add_parser(
        "outbox",
        help="list, retry or clear the activation messages (CRM changes, KPI alerts)",
        description="After each publish the refresh writes the playbook changes as Salesforce "
        "and HubSpot import files to the outbox and queues messages for the webhooks and "
        "mailboxes of activation.yml. What a destination did not accept after its retries "
        "waits in the dead letter until `retry` delivers it (once) or `clear` drops it.",
        epilog=f"Config: ${CONFIG_ENV} or activation.yml at the repository root (example: "
        f"activation.example.yml); outbox: its outbox_dir, else ${OUTBOX_ENV}, else "
        "<warehouse>/outbox. Docs: docs/activation.md.",
    )
    box_sub = box.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    for action, text in (
        ("list", "per destination: pending and dead-lettered messages, the last delivery"),
        ("retry", "deliver pending and dead-lettered messages now; exits 1 if some still fail"),
        ("clear", "drop dead-lettered messages without delivering them"),
    ):
        act = box_sub.add_parser(action, help=text, description=text)
        act.add_argument("--destination", help="only this destination (its name in the config)")
        if action == "clear":
            act.add_argument(
                "--pending", action="store_true", help="also drop messages not yet tried"
            )
    box.set_defaults(func=_cmd_outbox)

    lin = sub.add_parser(
        "lineage",
        help="what feeds what: the marts and metrics each landing contract column feeds",
        description="Read the dbt graph (parsed first if stale) and print, for every column "
        "of the landing contract, the marts and semantic-layer metrics that read it, or "
        '"feeds nothing". --write regenerates docs/what_feeds_what.md.',
    )
    lin.add_argument("--write", action="store_true", help="write docs/what_feeds_what.md")
    lin.set_defaults(func=_cmd_lineage)

    src = sub.add_parser(
        "dbt-sources",
        help="regenerate what the landing contract (revops/contract.py) writes: the dbt "
        "source YAML and docs/contract.md",
    )
    src.set_defaults(func=_cmd_dbt_sources)

    exp = sub.add_parser(
        "export-raw",
        help="write the raw tables of work.duckdb as Parquet (what the spark target reads)",
        description="Write every raw.<system>__<table> of work.duckdb to <out>/<system>__<table>"
        ".parquet. The dbt target `spark` declares these files as its raw tables.",
    )
    exp.add_argument(
        "--out", help="folder (default $REVOPS_RAW_PARQUET_DIR or warehouse/raw_parquet)"
    )
    exp.add_argument(
        "--warehouse", help="work database (default $REVOPS_WAREHOUSE_DIR/work.duckdb)"
    )
    exp.set_defaults(func=_cmd_export_raw)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
