"""How well identity resolution did against the generator's planted truth.

Pairwise precision and recall (kpi_definitions.md "Identity quality"): over the non-internal records
of `_truth/identities.csv`, every pair of records in one true person (company) is a true
pair, every pair the crosswalk gives one person_id (customer_id) is a predicted pair. A
record the crosswalk lacks or maps to null is its own cluster; with no predicted pair,
precision is 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

TRUTH_FILE = Path("_truth") / "identities.csv"
# the records `revops generate --identity-variations` varied, with the family
VARIATIONS_FILE = Path("_truth") / "identity_variations.csv"


@dataclass(frozen=True)
class PairScore:
    entity: str
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


# {truth} is the truth column, {predicted} the crosswalk column of the same entity
PAIRS_SQL = """
with scored as (
    select
        truth.{truth} as true_id,
        coalesce(
            crosswalk.{predicted},
            'unresolved:' || truth.source_system || truth.source_table || truth.source_record_id
        ) as predicted_id
    from truth
    left join crosswalk using (source_system, source_table, source_record_id)
    where truth.true_company_id <> 'internal' and coalesce(truth.{truth}, '') <> ''
        {companies}
),
pairs as (
    select true_id, predicted_id, count(*) as n from scored group by all
)
select
    (select count(*) from scored),
    (select coalesce(sum(n * (n - 1) // 2), 0)
        from (select sum(n) as n from pairs group by true_id)),
    (select coalesce(sum(n * (n - 1) // 2), 0)
        from (select sum(n) as n from pairs group by predicted_id)),
    (select coalesce(sum(n * (n - 1) // 2), 0) from pairs)
"""


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def score_identities(
    truth_csv: Path, warehouse: Path, family: str | None = None
) -> list[PairScore]:
    """Person and company pairwise scores of the crosswalk in `warehouse` against the truth;
    with `family`, over the records of the companies the generator gave that variation
    family (each company has one: the scores of one family do not see the others')."""
    con = duckdb.connect()
    try:
        # ATTACH and table functions take no prepared parameters: quote the paths instead
        con.execute(
            f"create temp table truth as select * from read_csv({_quoted(truth_csv)}, "
            "all_varchar = true)"
        )
        con.execute(f"attach {_quoted(warehouse)} as warehouse (read_only)")
        con.execute(
            "create temp table crosswalk as "
            "select source_system, source_table, source_record_id, person_id, customer_id "
            "from warehouse.marts.identity_crosswalk"
        )
        companies = ""
        if family is not None:
            variations = truth_csv.parent / VARIATIONS_FILE.name
            con.execute(
                f"create temp table family_companies as select distinct truth.true_company_id "
                f"from read_csv({_quoted(variations)}, all_varchar = true) as varied "
                "inner join truth using (source_system, source_table, source_record_id) "
                "where varied.family = ?",
                [family],
            )
            companies = "and truth.true_company_id in (select * from family_companies)"
        scores = []
        for entity, truth_col, predicted_col in (
            ("person", "true_person_id", "person_id"),
            ("company", "true_company_id", "customer_id"),
        ):
            sql = PAIRS_SQL.format(truth=truth_col, predicted=predicted_col, companies=companies)
            records, true_pairs, predicted_pairs, correct = con.execute(sql).fetchall()[0]
            scores.append(PairScore(entity, records, true_pairs, predicted_pairs, correct))
        return scores
    finally:
        con.close()


PUBLISHED_LARGEST = "meta.published_identity_largest"


def record_published_largest_customers(con: duckdb.DuckDBPyConnection) -> None:
    """After a publish: keep the largest customers just published in the work warehouse, so
    that the next build's identity gate (marts.identity_largest_customers) sees a jump."""
    con.execute("create schema if not exists meta")
    con.execute(
        f"create or replace table {PUBLISHED_LARGEST} as "
        "select customer_id, records, crm_accounts from marts.identity_largest_customers"
    )


def planted_families(truth_csv: Path) -> list[str]:
    """The variation families planted in the landing of `truth_csv`, in name order."""
    variations = truth_csv.parent / VARIATIONS_FILE.name
    if not variations.exists():
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"select distinct family from read_csv({_quoted(variations)}, all_varchar = true) "
            "order by family"
        ).fetchall()
        return [row[0] for row in rows]
    finally:
        con.close()


def print_linkage(warehouse: Path) -> None:
    """How each rule and key type linked the records, and the largest customers (the marts
    identity_match_rules and identity_largest_customers)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        }
        if not {"identity_match_rules", "identity_largest_customers"} <= tables:
            print(f"\n  ({warehouse} predates the linkage marts: refresh to see them)")
            return
        rules = con.execute(
            "select entity, match_rule, records, resolved_ids, keys, dropped_keys, "
            "records_naming_dropped_keys from marts.identity_match_rules "
            "order by entity, records desc"
        ).fetchall()
        largest = con.execute(
            "select customer_id, records, crm_accounts, account_names, website_domains, "
            "chaining_key, is_implausible or is_jump from marts.identity_largest_customers "
            "order by size_rank limit 5"
        ).fetchall()
    finally:
        con.close()
    print("\n  records linked per rule (non-internal evidence records; keys and dropped keys):")
    print(
        f"  {'entity':<8} {'rule':<20} {'records':>9} {'resolved':>9} {'keys':>8} "
        f"{'dropped':>8} {'their records':>13}"
    )
    for entity, rule, records, ids, keys, dropped, dropped_records in rules:
        print(
            f"  {entity:<8} {rule:<20} {records:>9,} {ids:>9,} {_count(keys):>8} "
            f"{_count(dropped):>8} {_count(dropped_records):>13}"
        )
    print("\n  largest customers (by CRM accounts, then records):")
    print(
        f"  {'customer':<22} {'records':>8} {'accounts':>8} {'names':>6} {'websites':>8}  "
        "chaining key"
    )
    for customer, records, accounts, names, websites, key, flagged in largest:
        flag = "  << blocks the publish" if flagged else ""
        print(
            f"  {customer:<22} {records:>8,} {accounts:>8,} {names:>6,} {websites:>8,}  "
            f"{key or '-'}{flag}"
        )


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def print_identity_report(landing: Path, warehouse: Path) -> int:
    truth_csv = landing / TRUTH_FILE
    if not truth_csv.exists():
        print(f"no planted truth at {truth_csv}: the report needs data from `revops generate`")
        return 2
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: run `revops refresh` first")
        return 2
    print(f"identity resolution in {warehouse} against {truth_csv}")
    print(
        f"  {'entity':<8} {'records':>9} {'true pairs':>12} {'predicted':>12} "
        f"{'correct':>12} {'precision':>10} {'recall':>8}"
    )
    for s in score_identities(truth_csv, warehouse):
        print(
            f"  {s.entity:<8} {s.records:>9,} {s.true_pairs:>12,} {s.predicted_pairs:>12,} "
            f"{s.correct_pairs:>12,} {s.precision:>10.4f} {s.recall:>8.4f}"
        )
    print_linkage(warehouse)
    families = planted_families(truth_csv)
    if families:
        print("\n  per planted variation family (its companies' records only):")
        print(f"  {'family':<30} {'company P':>9} {'R':>6} {'person P':>9} {'R':>6}")
        for family in families:
            person, company = score_identities(truth_csv, warehouse, family)
            print(
                f"  {family:<30} {company.precision:>9.4f} {company.recall:>6.4f} "
                f"{person.precision:>9.4f} {person.recall:>6.4f}"
            )
    return 0
