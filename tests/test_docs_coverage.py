"""Issue 9: `revops docs` describes every model and every column of the published marts, and
every macro of the project (dbt_project/macros/_macros.yml).

The real columns come from a published warehouse (the xs company's serving file, schema
`marts`, via information_schema); the descriptions come from the dbt manifest that
`dbt parse` builds from the YAML. A mart column without a non-empty description, a model
without a description, or a YAML column the mart no longer has fails.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from orchestration.project import ensure_manifest


def _models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def undocumented_columns(manifest: dict, published: dict[str, list[str]]) -> dict[str, list[str]]:
    """{table: [columns]} of published columns with no (or an empty) description."""
    models = _models(manifest)
    gaps: dict[str, list[str]] = {}
    for table, columns in published.items():
        node = models.get(table, {"columns": {}})
        described = {
            name.lower(): (column.get("description") or "").strip()
            for name, column in node["columns"].items()
        }
        missing = [column for column in columns if not described.get(column.lower())]
        if missing:
            gaps[table] = missing
    return gaps


def undescribed_models(manifest: dict) -> list[str]:
    return sorted(
        name for name, node in _models(manifest).items() if not node["description"].strip()
    )


def stale_columns(manifest: dict, published: dict[str, list[str]]) -> dict[str, list[str]]:
    """{table: [columns]} documented in YAML that the published mart does not have."""
    models = _models(manifest)
    stale: dict[str, list[str]] = {}
    for table, columns in published.items():
        have = {column.lower() for column in columns}
        extra = [
            name
            for name in models.get(table, {"columns": {}})["columns"]
            if name.lower() not in have
        ]
        if extra:
            stale[table] = extra
    return stale


def undescribed_macros(manifest: dict) -> list[str]:
    """The project's macros without a description; the implementations of a dispatched macro
    (default__x, duckdb__x, spark__x) share x's."""
    return sorted(
        macro["name"]
        for macro in manifest["macros"].values()
        if macro["package_name"] == "revops"
        and not re.match(r"(default|duckdb|spark)__", macro["name"])
        and not macro["description"].strip()
    )


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(ensure_manifest().read_text())


@pytest.fixture(scope="module")
def published(xs_published) -> dict[str, list[str]]:
    ws, _ = xs_published
    rows = ws.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' order by table_name, ordinal_position"
    )
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


def test_every_published_mart_is_a_described_model(manifest, published):
    assert len(published) >= 20, sorted(published)  # every published mart
    models = _models(manifest)
    assert set(published) <= set(models), sorted(set(published) - set(models))
    assert all(models[table]["schema"] == "marts" for table in published)
    assert undescribed_models(manifest) == []


def test_every_published_mart_column_is_described(manifest, published):
    assert sum(len(columns) for columns in published.values()) >= 200
    assert undocumented_columns(manifest, published) == {}


def test_no_yaml_column_is_missing_from_its_mart(manifest, published):
    assert stale_columns(manifest, published) == {}


def test_the_checks_fail_on_a_missing_or_empty_description(manifest, published):
    """The checks above can fail: drop one column entry, blank another and a model's text."""
    broken = copy.deepcopy(manifest)
    node = next(n for n in broken["nodes"].values() if n["name"] == "dim_customers")
    del node["columns"]["region"]
    node["columns"]["current_mrr_usd"]["description"] = "  "
    node["description"] = ""
    assert undocumented_columns(broken, published) == {
        "dim_customers": ["region", "current_mrr_usd"]
    }
    assert undescribed_models(broken) == ["dim_customers"]
    # a mart without any model (e.g. a table published without YAML) has every column missing
    assert undocumented_columns(broken, {"not_a_model": ["a"]}) == {"not_a_model": ["a"]}
    node["columns"]["renamed_away"] = {"name": "renamed_away", "description": "gone"}
    assert stale_columns(broken, published) == {"dim_customers": ["renamed_away"]}


def test_every_macro_is_described(manifest):
    project_macros = [m for m in manifest["macros"].values() if m["package_name"] == "revops"]
    assert len(project_macros) >= 70
    assert undescribed_macros(manifest) == []
    broken = copy.deepcopy(manifest)
    next(m for m in broken["macros"].values() if m["name"] == "month_of")["description"] = " "
    assert undescribed_macros(broken) == ["month_of"]
