"""KPI alert rules evaluated on the published marts: a rule fires once when its threshold is
breached, and once more when the breach clears; while it stays breached nothing is sent.

A rule reads one column of one mart at its latest period (month, snapshot_date or quarter),
summed over the period's rows that match `where` (one row for the monthly KPI marts; for
marts with several rows per period, such as kpi_data_health, use it on counts). `compare:
change` compares the latest period with the one before, as a fraction (-0.05 = down 5%).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from revops.activation.config import ActivationConfig, AlertRule
from revops.activation.playbook_lists import plain

PERIOD_COLUMNS = ("month", "snapshot_date", "quarter")
FIRING, CLEARED = "firing", "cleared"


class AlertRuleError(ValueError):
    """A rule names a mart or column the serving file lacks."""


@dataclass(frozen=True)
class Reading:
    rule: str
    period: str | None
    value: float | None  # what is compared: the value, or the change as a fraction
    current: float | None
    previous: float | None
    previous_period: str | None

    def breached(self, rule: AlertRule) -> bool | None:
        if self.value is None:
            return None  # no number (e.g. forecast accuracy with no forecast): no verdict
        return (rule.above is not None and self.value > rule.above) or (
            rule.below is not None and self.value < rule.below
        )


def read_rules(serving_db: Path, rules: tuple[AlertRule, ...]) -> list[Reading]:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return [_read(con, rule) for rule in rules]
    finally:
        con.close()


def _read(con, rule: AlertRule) -> Reading:
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = ?",
            [rule.table],
        ).fetchall()
    }
    if not columns:
        raise AlertRuleError(f"alert {rule.name!r}: table marts.{rule.table} is not published")
    for column in (rule.column, *rule.where):
        if column not in columns:
            raise AlertRuleError(
                f"alert {rule.name!r}: marts.{rule.table} has no column {column!r} "
                f"(its columns: {', '.join(sorted(columns))})"
            )
    period = next((c for c in PERIOD_COLUMNS if c in columns), None)
    if period is None:
        raise AlertRuleError(
            f"alert {rule.name!r}: marts.{rule.table} has no period column "
            f"({', '.join(PERIOD_COLUMNS)}); alerts read periodic marts"
        )
    filters = "".join(f' and "{c}" = ?' for c in rule.where)
    rows = con.execute(
        f'select "{period}", sum("{rule.column}") from marts."{rule.table}" '
        f"where true{filters} group by 1 order by 1 desc limit 2",
        list(rule.where.values()),
    ).fetchall()
    latest = rows[0] if rows else (None, None)
    before = rows[1] if len(rows) > 1 else (None, None)
    current, previous = _number(latest[1]), _number(before[1])
    if rule.compare == "change":
        value = None if current is None or not previous else (current - previous) / previous
    else:
        value = current
    return Reading(rule.name, plain(latest[0]), value, current, previous, plain(before[0]))


def _number(value) -> float | None:
    return None if value is None else float(value)


def transitions(
    config: ActivationConfig, readings: list[Reading], open_alerts: dict[str, dict], at: str
) -> tuple[list[dict], dict[str, dict]]:
    """The alert events of this publish (fired, cleared) and the alerts open after it."""
    rules = {rule.name: rule for rule in config.alerts}
    still_open = {name: alert for name, alert in open_alerts.items() if name in rules}
    events = []
    for reading in readings:
        rule = rules[reading.rule]
        breached = reading.breached(rule)
        if breached is None:
            continue
        was_open = reading.rule in still_open
        if breached and not was_open:
            event = _event(config, rule, reading, FIRING, at)
            still_open[rule.name] = event
            events.append(event)
        elif breached:
            still_open[rule.name] = {**still_open[rule.name], "latest": _numbers(reading)}
        elif was_open:
            event = _event(config, rule, reading, CLEARED, at)
            event["opened_at"] = still_open.pop(rule.name)["at"]
            events.append(event)
    return events, still_open


def _numbers(reading: Reading) -> dict:
    return {
        "period": reading.period,
        "value": reading.value,
        "current": reading.current,
        "previous": reading.previous,
        "previous_period": reading.previous_period,
    }


def _event(config: ActivationConfig, rule: AlertRule, reading: Reading, kind: str, at: str):
    return {
        "rule": rule.name,
        "event": kind,
        "at": at,
        "description": rule.describe(),
        "table": rule.table,
        "column": rule.column,
        "compare": rule.compare,
        "above": rule.above,
        "below": rule.below,
        "link": f"{config.dashboard_url}/{rule.page}",
        **_numbers(reading),
    }
