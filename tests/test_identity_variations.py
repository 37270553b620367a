"""Identity resolution under the real-export variations the generator plants
(revops/generator/identity_variations.py): every family on its own companies and all of
them together, scored against the planted truth from one real refresh; the generator's
variations themselves; and the identity gate that stops a publish when a key chains
unrelated companies."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from revops.generator import generate
from revops.generator.identity_variations import FAMILIES, parse_families
from revops.identity_report import score_identities

from .conftest import make_workspace, run_dbt, run_full_refresh
from .recompute import CROSSWALK_IDS, pair_counts, truth_beside_crosswalk

# The targets, for every family and all together (docs/identity.md).
PRECISION, RECALL = 0.99, 0.97
# Where rules cannot reach the recall target (docs/identity.md, "What rules cannot reach"):
# a ticket, survey answer or billing customer known only by a personal or mistyped address
# has no company evidence and no name. The floors are the measured values (xs, seed 7),
# so a regression still fails.
RECALL_FLOORS = {
    ("address_variants", "company"): 0.965,
    ("address_variants", "person"): 0.96,
    ("free_mail", "person"): 0.93,
}


@pytest.fixture(scope="module")
def xs_varied(tmp_path_factory: pytest.TempPathFactory):
    """An xs company (seed 7) with every variation family planted, refreshed once by the
    real job: (workspace, run result)."""
    root = tmp_path_factory.mktemp("xs_varied")
    source = root / "generated"
    generate(source, scale="xs", seed=7, identity_variations=list(FAMILIES))
    with pytest.MonkeyPatch.context() as monkeypatch:
        ws = make_workspace(root, source, monkeypatch)
        result = run_full_refresh()
    return ws, result


def test_variations_are_planted_deterministically_and_leave_the_truth(tmp_path: Path):
    plain, varied, again = tmp_path / "plain", tmp_path / "varied", tmp_path / "again"
    generate(plain, scale="xs", seed=3)
    generate(varied, scale="xs", seed=3, identity_variations=["email_formats", "website_junk"])
    generate(again, scale="xs", seed=3, identity_variations=["email_formats", "website_junk"])
    truth = Path("_truth") / "identities.csv"
    assert (plain / truth).read_bytes() == (varied / truth).read_bytes()
    leads = Path("marketing") / "leads" / "part-00000.csv"
    assert (varied / leads).read_bytes() == (again / leads).read_bytes()
    assert (plain / leads).read_bytes() != (varied / leads).read_bytes()

    planted = pd.read_csv(varied / "_truth" / "identity_variations.csv", dtype=str)
    assert set(planted["family"]) == {"email_formats", "website_junk"}
    # every varied lead differs from its plain version in an identifying column only
    before = pd.read_csv(plain / leads, dtype=str, keep_default_na=False).set_index("lead_id")
    after = pd.read_csv(varied / leads, dtype=str, keep_default_na=False).set_index("lead_id")
    changed = before.index[(before != after).any(axis=1)]
    assert set(changed) <= set(planted["source_record_id"])
    assert set((before != after).any(axis=0).loc[lambda c: c].index) <= {"email", "company_domain"}

    assert parse_families("all") == list(FAMILIES) and parse_families("none") == []
    with pytest.raises(ValueError, match="unknown identity variation families"):
        parse_families("email_formats,emails")


def test_every_family_and_all_together_meet_the_targets(xs_varied):
    ws, result = xs_varied
    assert result.success
    truth_csv = ws.landing / "_truth" / "identities.csv"
    merged = truth_beside_crosswalk(truth_csv, ws.query(CROSSWALK_IDS))
    planted = pd.read_csv(ws.landing / "_truth" / "identity_variations.csv", dtype=str)
    family_of_company = (
        planted.merge(merged, on=["source_system", "source_table", "source_record_id"])
        .groupby("true_company_id")["family"]
        .first()
    )
    merged["family"] = merged["true_company_id"].map(family_of_company)
    assert set(merged["family"].dropna()) == set(FAMILIES)

    shortfalls = []
    for family in [None, *FAMILIES]:
        scores = {s.entity: s for s in score_identities(truth_csv, ws.serving, family)}
        rows = merged if family is None else merged[merged["family"] == family]
        for entity, true_col, predicted_col in [
            ("person", "true_person_id", "person_id"),
            ("company", "true_company_id", "customer_id"),
        ]:
            score = scores[entity]
            # the report's SQL against the pairs counted here, one by one
            entity_rows = rows[rows[true_col] != ""].reset_index(drop=True)
            assert (score.true_pairs, score.predicted_pairs, score.correct_pairs) == (
                pair_counts(entity_rows, true_col, predicted_col)
            ), (family, entity)
            floor = RECALL_FLOORS.get((family, entity), RECALL)
            if score.precision < PRECISION or score.recall < floor:
                shortfalls.append((family or "all", entity, score.precision, score.recall))
    assert not shortfalls, shortfalls


def test_the_gate_stops_a_publish_and_names_the_key_that_chained(xs_varied, tmp_path: Path):
    """A website no list knows (a business directory) typed for 30 CRM accounts: the
    data-learned guard drops it, and reports it; with the guard set off, the blocking
    check on identity_largest_customers fails and its message names the key."""
    from orchestration.checks.catalog import ALL_SUITES
    from revops.quality import ERROR, run_suite

    ws, _ = xs_varied
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    database = warehouse / "work.duckdb"
    shutil.copy(ws.warehouse / "work.duckdb", database)
    con = duckdb.connect(str(database))
    try:
        con.execute(
            "update raw.sales__accounts set website = 'https://www.bizlisting-hub.com/c/' "
            "|| account_id where account_id in (select account_id from raw.sales__accounts "
            "order by account_id limit 30)"
        )
    finally:
        con.close()
    select = [
        "--full-refresh",
        "--select",
        "stg_sales__accounts+,+identity_largest_customers",
        "stg_sales__accounts+,+identity_match_rules",
    ]
    suite = ALL_SUITES[("marts", "identity_largest_customers")]

    guarded = run_dbt(["run", "--quiet", *select], warehouse, tmp_path / "target")
    assert guarded.returncode == 0, guarded.stdout + guarded.stderr
    con = duckdb.connect(str(database), read_only=True)
    try:
        dropped = con.execute(
            "select evidence, companies from intermediate.int_company_keys_dropped "
            "where company_key = 'domain:bizlisting-hub.com'"
        ).fetchall()
        reported = con.execute(
            "select dropped_keys from marts.identity_match_rules "
            "where entity = 'company' and match_rule = 'website_domain'"
        ).fetchall()
    finally:
        con.close()
    assert dropped and dropped[0][0] == "strong" and dropped[0][1] > 3
    assert reported[0][0] >= 1
    assert run_suite(database, suite, tmp_path / "docs").severity is None

    guard_off = (
        "{identity_key_max_companies_website: 1000000, identity_key_max_company_names: 1000000}"
    )
    unguarded = run_dbt(
        ["run", "--quiet", *select, "--vars", guard_off], warehouse, tmp_path / "target"
    )
    assert unguarded.returncode == 0, unguarded.stdout + unguarded.stderr
    result = run_suite(database, suite, tmp_path / "docs")
    assert result.severity == ERROR
    message = " ".join(o.describe() for o in result.failures)
    assert "domain:bizlisting-hub.com" in message, message
    assert "seeds/non_company_domains.csv" in message
