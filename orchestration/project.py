"""The dbt project as Dagster sees it, parsed once at start-up (never per step)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from revops.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT, export_environment

# The dbt of this environment, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# dbt itself honours DBT_TARGET_PATH; reading it here too lets two checkouts' test runs share
# one project folder without parsing into each other's manifest.
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=PROFILES_DIR,
    target_path=os.environ.get("DBT_TARGET_PATH", "target"),
)


def _newest_source_mtime() -> float:
    roots = [
        REPO_ROOT / "models",
        REPO_ROOT / "seeds",
        DBT_PROJECT_DIR / "macros",
        DBT_PROJECT_DIR / "semantic_models",
        DBT_PROJECT_DIR / "tests",
    ]
    files = [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]
    files += [DBT_PROJECT_DIR / "dbt_project.yml", PROFILES_DIR / "profiles.yml"]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than any model, macro or seed."""
    manifest = Path(dbt_project.manifest_path)
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    export_environment()
    subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR)],
        check=True,
        cwd=DBT_PROJECT_DIR,
    )
    return manifest
