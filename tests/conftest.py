"""Shared fixtures: isolated landing/warehouse folders and real Dagster runs on them."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from revops import paths
from revops.build_baseline import BASELINE_ENV

FIXTURES = Path(__file__).parent / "fixtures"
TINY_LANDING = FIXTURES / "tiny_landing"
DBT = str(Path(sys.executable).with_name("dbt"))

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Test data must never reach the destinations of a developer's own activation.yml: the
# refreshes of the tests write CRM files and deliver nothing (tests that deliver say where).
os.environ["REVOPS_ACTIVATION_CONFIG"] = str(FIXTURES / "activation_no_delivery.yml")
# pytest-xdist workers run side by side: each parses dbt into its own target folder and
# keeps its own Dagster instance.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["DBT_TARGET_PATH"] = f"target-{os.environ['PYTEST_XDIST_WORKER']}"
    os.environ["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="revops-tests-dagster-")
    atexit.register(shutil.rmtree, os.environ["DAGSTER_HOME"], ignore_errors=True)


# Session fixtures that refresh more than the tiny fixture: their tests are marked beyond_tiny,
# which `make test-fast` leaves out.
BEYOND_TINY_FIXTURES = frozenset({"xs_published", "sales_and_churn", "funnel_and_mrr"})


# The files that take longest, longest first: they start first, one per xdist worker, so that
# no long file is left to run alone at the end (pyproject.toml: --no-loadscope-reorder keeps
# this order instead of xdist's files-with-most-tests first).
LONGEST_FILES = (
    "test_spark_cluster.py",
    "test_bench.py",
    "test_incremental.py",
    "test_refresh_faults.py",
    "test_mappings.py",
    "test_identity_variations.py",
    "test_connector_presets.py",
    "test_dagster_ui.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BEYOND_TINY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.beyond_tiny)

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)

    items.sort(key=rank)  # stable: a file's tests keep their order


@dataclass
class Workspace:
    landing: Path
    warehouse: Path

    @property
    def serving(self) -> Path:
        return self.warehouse / "serving.duckdb"

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.serving), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def serving_digest(self) -> str | None:
        if not self.serving.exists():
            return None
        return hashlib.sha256(self.serving.read_bytes()).hexdigest()


def make_workspace(root: Path, landing_source: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    landing = root / "landing"
    shutil.copytree(landing_source, landing)
    warehouse = root / "warehouse"
    warehouse.mkdir()
    monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(warehouse))
    paths.export_environment()
    return Workspace(landing, warehouse)


@pytest.fixture
def tiny_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return make_workspace(tmp_path, TINY_LANDING, monkeypatch)


def run_dbt(
    args: list[str], warehouse: Path, target: Path, baseline: int | None = None
) -> subprocess.CompletedProcess:
    """The real dbt CLI on the work.duckdb in `warehouse`, its artifacts in `target`;
    `baseline`: the build baseline a nightly refresh would give it (none: a run by hand)."""
    env = {
        **os.environ,
        "REVOPS_WAREHOUSE_DIR": str(warehouse),
        "DBT_TARGET_PATH": str(target),
        "DBT_PROFILES_DIR": str(paths.PROFILES_DIR),
        "DO_NOT_TRACK": "1",
    }
    env.pop(BASELINE_ENV, None)
    if baseline is not None:
        env[BASELINE_ENV] = str(baseline)
    return subprocess.run(
        [DBT, *args], cwd=paths.DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )


def run_full_refresh():
    """Materialise every asset of the real `defs`, in process, on an ephemeral instance."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("full_refresh")
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


@pytest.fixture(scope="session")
def tiny_published(tmp_path_factory: pytest.TempPathFactory):
    """The tiny fixture refreshed once (a real Dagster run): (workspace, first run result)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        ws = make_workspace(tmp_path_factory.mktemp("tiny"), TINY_LANDING, monkeypatch)
        result = run_full_refresh()
        yield ws, result


@pytest.fixture
def published_copy(tiny_published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A private copy of the published tiny workspace (landing, work and serving files)."""
    source, _ = tiny_published
    landing = tmp_path / "landing"
    warehouse = tmp_path / "warehouse"
    shutil.copytree(source.landing, landing)
    shutil.copytree(source.warehouse, warehouse)
    monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(warehouse))
    paths.export_environment()
    return Workspace(landing, warehouse)


@pytest.fixture(scope="session")
def xs_published(tmp_path_factory: pytest.TempPathFactory):
    """A generated xs company (seed 7) refreshed once by the real job: (workspace, run result).

    The environment points at it only while it is built, so other fixtures are unaffected.
    """
    from revops.generator import generate

    root = tmp_path_factory.mktemp("xs")
    source = root / "generated"
    generate(source, scale="xs", seed=7)
    with pytest.MonkeyPatch.context() as monkeypatch:
        ws = make_workspace(root, source, monkeypatch)
        result = run_full_refresh()
    return ws, result


# --- partial landings: public datasets landed by `revops land --mapping` -------------------

MAPPINGS = paths.REPO_ROOT / "mappings"


EXAMPLE_DATA_ENV = "REVOPS_EXAMPLE_DATA"
EXAMPLE_DATASETS = ("maven_crm", "mrr_playbook", "olist_marketing", "telco_churn")


def example_data_dir() -> Path:
    """The public example exports that mappings/*.yml read: $REVOPS_EXAMPLE_DATA, by default
    the folder shared/datasets beside the repository (where CI keeps them). Without them the
    calling test or fixture is skipped, with one line saying how to get them."""
    folder = Path(
        os.environ.get(EXAMPLE_DATA_ENV) or paths.REPO_ROOT.parent / "shared" / "datasets"
    )
    missing = [name for name in EXAMPLE_DATASETS if not (folder / name).is_dir()]
    if missing:
        pytest.skip(
            f"example data not found ({', '.join(missing)} in {folder}): set "
            f"{EXAMPLE_DATA_ENV} to a folder holding them (docs/example-data.md says where "
            "each comes from)"
        )
    return folder


def _landed_and_refreshed(root: Path, mappings: list[str]) -> tuple[Workspace, object]:
    """Land the mappings into one landing folder and run the real full refresh once.

    Sound because each pair fills disjoint contract tables (sales vs finance, or marketing +
    sales vs finance), no identity key of one can match the other's (different id
    formats, no e-mails or names shared), and the as-of date is the newest of both, which
    only adds zero months at the end of the other export's monthly marts.
    """
    from revops.landing_mapping import land

    landing, warehouse = root / "landing", root / "warehouse"
    warehouse.mkdir(parents=True)
    for name in mappings:
        land(MAPPINGS / f"{name}.yml", landing, example_data_dir() / name)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
        monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(warehouse))
        paths.export_environment()
        result = run_full_refresh()
    return Workspace(landing, warehouse), result


@pytest.fixture(scope="session")
def sales_and_churn(tmp_path_factory):
    """Maven CRM (sales users, accounts, opportunities) + Telco churn (finance): a partial
    landing without any marketing or success table (tests/test_mappings.py, and the
    dashboard's explanations of n/a KPIs)."""
    return _landed_and_refreshed(tmp_path_factory.mktemp("byo_a"), ["maven_crm", "telco_churn"])


@pytest.fixture(scope="session")
def funnel_and_mrr(tmp_path_factory):
    """Olist funnel (leads, accounts, contacts, opportunities) + mrr-playbook (finance)."""
    return _landed_and_refreshed(
        tmp_path_factory.mktemp("byo_b"), ["olist_marketing", "mrr_playbook"]
    )
