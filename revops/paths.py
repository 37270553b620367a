"""Where things live, and how much memory DuckDB may use there. Every path can be moved with
an environment variable."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_DIR = REPO_ROOT


def landing_dir() -> Path:
    return Path(os.environ.get("REVOPS_LANDING_DIR", REPO_ROOT / "data" / "landing")).resolve()


def warehouse_dir() -> Path:
    return Path(os.environ.get("REVOPS_WAREHOUSE_DIR", REPO_ROOT / "warehouse")).resolve()


def work_db() -> Path:
    """The working warehouse: only the refresh writes it."""
    return warehouse_dir() / "work.duckdb"


def serving_db() -> Path:
    """The published warehouse: analysts and dashboards read it, read-only."""
    return warehouse_dir() / "serving.duckdb"


def duckdb_memory_limit() -> str:
    """DuckDB's memory_limit for every connection of a refresh: dbt's (profiles.yml reads the
    same variable), the loads', the gates' and the publish's. At scale l every model builds
    within 2.5GB, and the whole process tree stays under 4 GiB."""
    return os.environ.get("REVOPS_DUCKDB_MEMORY_LIMIT", "2.5GB")


def dbt_threads() -> int:
    """How many nodes one `dbt build` runs side by side (REVOPS_DBT_THREADS overrides). DuckDB
    runs each query on every core already; a second thread only overlaps dbt's own ~40 ms
    per model and ~20 ms per test with another node's query. That pays while the data is
    small next to memory_limit (nightly at scale m: dbt 23.3 -> 21.5 s); with big tables two
    queries share the memory and spill (at l: nightly 176 -> 207 s, full refresh 502 ->
    536 s). So two threads while the landed files are smaller than memory_limit, else one."""
    if os.environ.get("REVOPS_DBT_THREADS"):
        return int(os.environ["REVOPS_DBT_THREADS"])
    landed = sum(p.stat().st_size for p in landing_dir().rglob("*") if p.is_file())
    return 2 if landed < _bytes(duckdb_memory_limit()) else 1


def _bytes(size: str) -> float:
    """'2.5GB' / '512MiB' / '4 GB' in bytes (DuckDB's units: KB = 1000, KiB = 1024)."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)(I?)B?\s*", size.upper())
    if not match:
        raise ValueError(f"REVOPS_DUCKDB_MEMORY_LIMIT: cannot read {size!r} (e.g. 2.5GB, 3GiB)")
    number, prefix, binary = match.groups()
    return float(number) * (1024 if binary else 1000) ** ("_KMGT".index(prefix or "_"))


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", REPO_ROOT / ".dagster")).resolve()


def export_environment() -> None:
    """Pin absolute paths and quiet, private defaults for dbt, Dagster and GE subprocesses."""
    warehouse_dir().mkdir(parents=True, exist_ok=True)
    os.environ["REVOPS_LANDING_DIR"] = str(landing_dir())
    os.environ["REVOPS_WAREHOUSE_DIR"] = str(warehouse_dir())
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROFILES_DIR))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def prepare_dagster_home() -> Path:
    """DAGSTER_HOME inside the repository (ignored by git), using the repository's dagster.yaml."""
    export_environment()
    home = dagster_home()
    link_dagster_config(home)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def link_dagster_config(home: Path) -> None:
    """Make `home` a Dagster instance folder with the repository's dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    ours = REPO_ROOT / "dagster.yaml"
    # A link left by another checkout (moved or deleted since) is replaced; a dagster.yaml
    # of the user's own (a file) is kept.
    if config.is_symlink() and config.readlink() != ours:
        config.unlink()
    if not config.exists():
        config.symlink_to(ours)
    nux = home / ".nux" / "nux.yaml"  # skips the UI's first-visit pop-up
    nux.parent.mkdir(exist_ok=True)
    nux.write_text("seen: 1\n")
