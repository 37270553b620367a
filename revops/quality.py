"""Run a Great Expectations suite against a DuckDB table and say what failed.

GE 1.24's SQL datasource opens a new connection per metric unless the dialect is in
_PERSISTED_CONNECTION_DIALECTS; on DuckDB every expectation then fails silently with
"MetricResolutionError: list index out of range". We add duckdb to that tuple, and tests
prove each suite can fail.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from revops.paths import duckdb_memory_limit

MAX_SAMPLE_ROWS = 5
ERROR = "error"
WARN = "warn"


class _DuckDBDialect(str):
    """Compares equal to the dialect name "duckdb" and has the `.value` GE reads."""

    value = "duckdb"


_IMPORTING = threading.Lock()


def import_in_background() -> None:
    """Start importing Great Expectations (~2.4 s of Python) on a thread, for a caller about to
    wait on DuckDB (which releases the GIL): the raw loads run before the first gate."""
    if not _IMPORTING.locked() and _imported_gx.cache_info().currsize == 0:
        threading.Thread(target=_gx, name="import-great-expectations", daemon=True).start()


def _gx() -> ModuleType:
    with _IMPORTING:  # one import, whichever thread asks first; the other waits for it
        return _imported_gx()


@functools.cache
def _imported_gx() -> ModuleType:
    """Import Great Expectations (slow: ~2.4 s on 2 cores) only when a suite runs, and patch it."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with _pyspark_hidden():
        import great_expectations as gx
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if not any(str(d) == "duckdb" for d in engine._PERSISTED_CONNECTION_DIALECTS):
        engine._PERSISTED_CONNECTION_DIALECTS = (
            *engine._PERSISTED_CONNECTION_DIALECTS,
            _DuckDBDialect("duckdb"),
        )
    _share_data_docs_templates()
    _copy_static_assets_once()
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


@contextlib.contextmanager
def _pyspark_hidden() -> Iterator[None]:
    """Make `import pyspark` fail while Great Expectations is imported.

    pyspark is installed for the Spark target, so GE imports it and pyspark.ml for its Spark
    datasource (~0.6 s of every refresh) though our suites only run SQL on DuckDB. A None in
    sys.modules makes the import raise ImportError, which GE treats as "not installed";
    pyspark stays importable afterwards.
    """
    if "pyspark" in sys.modules:
        yield
        return
    sys.modules["pyspark"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        del sys.modules["pyspark"]


class _MemoryBytecodeCache:
    """Jinja2 bytecode cache kept in memory for the life of the process (see below)."""

    def __init__(self) -> None:
        import jinja2

        class _Cache(jinja2.BytecodeCache):
            def __init__(self) -> None:
                self.codes: dict[str, bytes] = {}

            def load_bytecode(self, bucket) -> None:
                code = self.codes.get(bucket.key)
                if code is not None:
                    bucket.bytecode_from_string(code)

            def dump_bytecode(self, bucket) -> None:
                self.codes[bucket.key] = bucket.bytecode_to_string()

        self.cache = _Cache()


def _share_data_docs_templates() -> None:
    """Compile each Data Docs template once per process, not once per page.

    GE's DefaultJinjaView makes a new Jinja Environment (with an empty template cache) for
    every page it renders, so every suite's page and every index rebuild parsed and compiled
    the same templates again: 2/3 of the time the gates spent on Data Docs. A bytecode cache
    shared by those environments skips the compile; Jinja checks each cached entry against
    the template source's checksum, so the pages are unchanged.
    """
    from great_expectations.render.view import view

    if getattr(view.DefaultJinjaView, "_revops_shared_cache", None) is not None:
        return
    shared = _MemoryBytecodeCache().cache
    original_init = view.DefaultJinjaView.__init__

    def __init__(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        self.env.bytecode_cache = shared

    view.DefaultJinjaView.__init__ = __init__
    view.DefaultJinjaView._revops_shared_cache = shared


def _copy_static_assets_once() -> None:
    """Copy Data Docs' CSS, JavaScript and images once per folder and process, not per page.

    GE copies its whole static folder on every build_data_docs call: a quarter of the time the
    gates spent on Data Docs. A folder deleted since (a new warehouse) is copied again.
    """
    from great_expectations.data_context.store.html_site_store import HtmlSiteStore

    if getattr(HtmlSiteStore, "_revops_copied", None) is not None:
        return
    copied: set[Path] = set()
    original = HtmlSiteStore.copy_static_assets

    def copy_static_assets(self, static_assets_source_dir: str | None = None):
        if static_assets_source_dir is not None:  # GE's own recursion into sub-folders
            return original(self, static_assets_source_dir)
        target = Path(self.store_backends["static_assets"].full_base_directory)
        if target in copied and (target / "static").is_dir():
            return None
        original(self)
        copied.add(target)
        return None

    HtmlSiteStore.copy_static_assets = copy_static_assets
    HtmlSiteStore._revops_copied = copied


@dataclass(frozen=True)
class Expect:
    """One expectation: the GE class name, its arguments, and whether a failure blocks the run."""

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    blocking: bool = True

    def build(self):
        expectation = getattr(_gx().expectations, self.kind)(**self.kwargs)
        expectation.meta = {**(expectation.meta or {}), "blocking": self.blocking}
        return expectation


def expect(kind: str, **kwargs: Any) -> Expect:
    """A blocking expectation: its failure means the data is wrong; nothing is published."""
    return Expect(kind, kwargs, blocking=True)


def warn(kind: str, **kwargs: Any) -> Expect:
    """A warning: shown on the check in the UI, never stops the run."""
    return Expect(kind, kwargs, blocking=False)


@dataclass(frozen=True)
class Suite:
    """Expectations on one table of the warehouse."""

    name: str
    schema: str
    table: str
    expectations: Sequence[Expect]


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    blocking: bool
    description: str | None = None
    observed: object = None
    unexpected_count: int | None = None
    sample: list = field(default_factory=list)
    error: str | None = None
    query: str | None = None  # the SQL of a custom unexpected-rows expectation

    def describe(self) -> str:
        what = self.description or self.expectation
        where = f" on {self.column}" if self.column else ""
        if self.error:
            return f"{what}{where}: could not be evaluated ({self.error})"
        parts = [f"{what}{where}"]
        if self.unexpected_count:
            parts.append(f"{self.unexpected_count} unexpected")
        if self.query:
            parts.append(f"{self.observed} unexpected row(s)")
        elif self.observed is not None:
            parts.append(f"observed {self.observed}")
        if self.sample:
            parts.append(f"e.g. {self.sample[:MAX_SAMPLE_ROWS]}")
        return ", ".join(parts)


@dataclass
class SuiteResult:
    suite: str
    outcomes: list[ExpectationOutcome]
    docs_url: str | None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def severity(self) -> str | None:
        """ERROR if a blocking expectation failed, WARN if only warnings did, None if all passed."""
        if any(o.blocking for o in self.failures) or not self.outcomes:
            return ERROR
        return WARN if self.failures else None


@functools.cache
def _context(docs_dir: Path):
    """An in-memory GE context (nothing to save per suite) whose Data Docs site is `docs_dir`."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = _gx().get_context(mode="ephemeral", project_config=config)
    # An ephemeral context "saves" its whole configuration as YAML into an in-memory store
    # that nothing reads, after every datasource, asset and Data Docs change (141 times a
    # refresh, ~5% of the gates' time). Its live configuration is the object itself.
    context._save_project_config = lambda: None
    return context


def run_suite(
    database: Path, suite: Suite, docs_dir: Path, extra: Sequence[Expect] = ()
) -> SuiteResult:
    """Validate `schema.table` of the DuckDB file (opened read-only); add its Data Docs page.

    `extra` adds expectations computed at run time (e.g. the volume band of the last run).
    """
    gx = _gx()
    context = _context(docs_dir)
    source = context.data_sources.add_or_update_sql(
        name=f"duckdb_{suite.name}",
        connection_string=f"duckdb:///{database}",
        kwargs={
            "connect_args": {
                "read_only": True,
                "config": {"memory_limit": duckdb_memory_limit()},
            }
        },
    )
    # A query asset: GE's column reflection drops the schema of a table asset on DuckDB.
    asset = source.add_query_asset(
        name=suite.name, query=f'select * from "{suite.schema}"."{suite.table}"'
    )
    batch = asset.add_batch_definition_whole_table("whole_table")
    expectation_suite = context.suites.add_or_update(
        gx.ExpectationSuite(
            name=suite.name, expectations=[e.build() for e in [*suite.expectations, *extra]]
        )
    )
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=expectation_suite)
    )
    try:
        result = validation.run(result_format={"result_format": "SUMMARY"})
        outcomes = [_outcome(r) for r in result.results]
    finally:
        # Release the DuckDB file: a lingering engine keeps it locked for the next writer.
        execution_engine = source.get_execution_engine()
        execution_engine.close()
        execution_engine.engine.dispose()
        source.get_engine().dispose()
    _sample_unexpected_rows(database, suite, outcomes)
    suite_result = SuiteResult(suite=suite.name, outcomes=outcomes, docs_url=None)
    # The index lists every validation of the run, so rebuilding it per suite costs the
    # square of the suite count: it is built once at publish (build_docs_index), and at once
    # when a suite blocks the run, so a stopped run's index shows the failure.
    suite_result.docs_url = _build_docs(
        context, result.suite_name, with_index=suite_result.severity == ERROR
    )
    return suite_result


def build_docs_index(docs_dir: Path) -> None:
    """Render the Data Docs index of this process's validations (none: nothing to do)."""
    context = _context(docs_dir)
    keys = context.validation_results_store.list_keys()
    if keys:
        newest = max(keys, key=lambda key: key.run_id.run_time)
        _build_docs(context, newest.expectation_suite_identifier.name, with_index=True)


def _build_docs(context, suite_name: str, with_index: bool) -> str | None:
    """Render the suite's newest validation page (and the index); return the page's file URL."""
    try:
        keys = [
            key
            for key in context.validation_results_store.list_keys()
            if key.expectation_suite_identifier.name == suite_name
        ]
        latest = max(keys, key=lambda key: key.run_id.run_time)
        context.build_data_docs(resource_identifiers=[latest], build_index=with_index)
        urls = context.get_docs_sites_urls(resource_identifier=latest)
        return urls[0]["site_url"] if urls else None
    except Exception as exc:  # Data Docs are a convenience; never hide the validation result.
        logging.getLogger(__name__).warning("could not build Data Docs: %s", exc)
        return None


def _sample_unexpected_rows(
    database: Path, suite: Suite, outcomes: list[ExpectationOutcome]
) -> None:
    """GE's SUMMARY format drops the rows of a failed custom-SQL expectation: fetch five."""
    failed = [o for o in outcomes if not o.success and o.query and not o.error]
    if not failed:
        return
    import duckdb

    batch = f'(select * from "{suite.schema}"."{suite.table}")'
    con = duckdb.connect(str(database), read_only=True)
    try:
        for outcome in failed:
            sql = outcome.query.replace("{batch}", batch)
            rows = con.execute(f"select * from ({sql}) limit {MAX_SAMPLE_ROWS}").fetchall()
            outcome.sample = [", ".join(str(v) for v in row) for row in rows]
    finally:
        con.close()


def _first_error(info: dict) -> str | None:
    """GE nests exception info per metric; return the first message raised, shortened."""
    if info.get("raised_exception"):
        return str(info.get("exception_message", "")).splitlines()[0][:300]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message", "")).splitlines()[0][:300]
    return None


def _outcome(r) -> ExpectationOutcome:
    config = r.expectation_config
    res = r.result or {}
    return ExpectationOutcome(
        expectation=config.type,
        column=config.kwargs.get("column") or config.kwargs.get("column_A"),
        success=bool(r.success),
        blocking=bool((config.meta or {}).get("blocking", True)),
        description=config.description,
        observed=res.get("observed_value"),
        unexpected_count=res.get("unexpected_count"),
        sample=list(res.get("partial_unexpected_list") or [])[:MAX_SAMPLE_ROWS],
        error=_first_error(r.exception_info or {}),
        query=config.kwargs.get("unexpected_rows_query"),
    )
