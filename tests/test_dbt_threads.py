"""How many nodes a refresh's `dbt build` runs side by side (revops.paths.dbt_threads)."""

from __future__ import annotations

import pytest

from revops import paths


@pytest.fixture
def landing(tmp_path, monkeypatch):
    monkeypatch.setenv("REVOPS_LANDING_DIR", str(tmp_path))
    monkeypatch.delenv("REVOPS_DBT_THREADS", raising=False)
    monkeypatch.setenv("REVOPS_DUCKDB_MEMORY_LIMIT", "1GiB")
    return tmp_path


def _land(path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)  # sparse: no disk used


def test_two_threads_while_the_landed_files_are_smaller_than_memory_limit(landing):
    assert paths.dbt_threads() == 2  # nothing landed yet
    _land(landing / "success" / "product_usage" / "day1.csv", 1024**3 // 2)
    _land(landing / "marketing" / "touchpoints" / "day1.csv", 1024**3 // 2 - 1)
    assert paths.dbt_threads() == 2
    _land(landing / "marketing" / "touchpoints" / "day2.csv", 1)
    assert paths.dbt_threads() == 1


def test_the_environment_decides_when_set(landing, monkeypatch):
    monkeypatch.setenv("REVOPS_DBT_THREADS", "3")
    assert paths.dbt_threads() == 3


@pytest.mark.parametrize(
    "limit, expected",
    [("2.5GB", 2.5e9), ("512MiB", 512 * 1024**2), ("4 GB", 4e9), ("3gib", 3 * 1024**3)],
)
def test_memory_limits_read_in_duckdb_units(limit, expected):
    assert paths._bytes(limit) == expected


def test_an_unreadable_memory_limit_names_the_variable():
    with pytest.raises(ValueError, match="REVOPS_DUCKDB_MEMORY_LIMIT"):
        paths._bytes("lots")
