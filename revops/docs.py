"""`revops docs`: the dbt docs (lineage, every model and column described) on 127.0.0.1.

The catalog (column types, row counts) is read from a private copy of the published serving
file, saved as `work.duckdb` so the manifest's relation names ("work"."marts"...) match: the
working warehouse is never opened, so the docs build while a refresh runs. The manifest
covers every model (staging and intermediate too); the catalog covers the published marts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from revops import paths

DEFAULT_DOCS_PORT = 8080
DOCS_HOST = "127.0.0.1"


def target_path() -> Path:
    """The dbt target path this checkout uses (DBT_TARGET_PATH, else dbt_project/target)."""
    return (paths.DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")).resolve()


def _dbt() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def _dbt_env(warehouse_dir: Path) -> dict[str, str]:
    paths.export_environment()
    return {
        **os.environ,
        "REVOPS_WAREHOUSE_DIR": str(warehouse_dir),
        "DBT_PROFILES_DIR": str(paths.PROFILES_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def generate_docs(serving: Path | None = None, target: Path | None = None) -> Path:
    """Run `dbt docs generate` into the target path; returns it. Raises on a dbt failure."""
    serving = serving or paths.serving_db()
    target = target or target_path()
    with tempfile.TemporaryDirectory(prefix="revops-docs-") as scratch:
        command = [_dbt(), "docs", "generate", "--target-path", str(target), "--quiet"]
        if serving.exists():
            shutil.copyfile(serving, Path(scratch) / "work.duckdb")
        else:
            print(
                f"no published warehouse at {serving}: the docs have descriptions and lineage "
                "but no column types (run `make run` for a full catalog)",
                file=sys.stderr,
            )
            command.append("--empty-catalog")
        done = subprocess.run(
            command, cwd=paths.DBT_PROJECT_DIR, env=_dbt_env(Path(scratch)), check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"dbt docs generate failed (exit {done.returncode})")
    return target


def serve_command(port: int, target: Path | None = None) -> list[str]:
    """A static file server for the generated docs, bound to 127.0.0.1 (what `dbt docs serve`
    does, without starting dbt and loading a profile for it)."""
    target = target or target_path()
    return [
        sys.executable,
        "-m",
        "http.server",
        "--bind",
        DOCS_HOST,
        "--directory",
        str(target),
        str(port),
    ]


def run_docs(port: int = DEFAULT_DOCS_PORT, serve: bool = True) -> int:
    try:
        target = generate_docs()
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"dbt docs written to {target} (index.html, manifest.json, catalog.json)")
    if not serve:
        return 0
    print(f"serving on http://{DOCS_HOST}:{port} ; Ctrl-C stops it", flush=True)
    os.chdir(paths.DBT_PROJECT_DIR)
    os.environ.update(_dbt_env(paths.warehouse_dir()))
    command = serve_command(port, target)
    os.execv(command[0], command)
    return 0  # not reached
