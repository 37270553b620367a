"""Start a refresh when new or changed files land; the cursor remembers what was seen."""

import hashlib
import json
import os
import time
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.jobs import nightly_refresh_job
from revops.paths import landing_dir, serving_db

# A file touched this recently may still be being copied in: wait for the next tick.
SETTLE_SECONDS = float(os.environ.get("REVOPS_LANDING_SETTLE_SECONDS", "30"))


def landing_fingerprint(root: Path) -> dict[str, str]:
    """Every landing file (not the generator's _truth) -> "size:mtime_ns"."""
    files = {}
    for path in root.glob("*/*/*"):
        if path.is_file() and not path.name.startswith(".") and path.parts[-3] != "_truth":
            stat = path.stat()
            files[str(path.relative_to(root))] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return files


def _run_key(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


@sensor(
    job=nightly_refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts the nightly refresh when files are added to or changed in the landing "
    f"folder (after they have been quiet for {SETTLE_SECONDS:.0f} s).",
)
def landing_sensor(context: SensorEvaluationContext):
    root = landing_dir()
    current = landing_fingerprint(root)
    if not current:
        return SkipReason(f"no landing files in {root}")
    newest = max(int(f.split(":")[1]) for f in current.values()) / 1e9
    if time.time() - newest < SETTLE_SECONDS:
        return SkipReason("landing files changed in the last seconds; waiting for them to settle")
    seen = json.loads(context.cursor) if context.cursor else None
    context.update_cursor(json.dumps(current, sort_keys=True))
    if seen is None and serving_db().exists():
        return SkipReason(f"first look: remembered the {len(current)} files already published")
    changed = sorted(path for path, stamp in current.items() if (seen or {}).get(path) != stamp)
    if not changed:
        return SkipReason("no new landing files")
    context.log.info(f"{len(changed)} new or changed landing file(s), e.g. {changed[:3]}")
    return RunRequest(run_key=_run_key(current), tags={"revops/changed_files": str(len(changed))})
