"""What a person reads: one message per publish with changes to the lists, and one per alert
event. Every message has a subject, a text (Slack shows `payload.text`; e-mail uses it as the
body) and a payload whose `revops` part carries the rows, for machines."""

from __future__ import annotations

from revops.activation.alerts import FIRING
from revops.activation.changes import CHANGED, NEW, REMOVED, Change, digest
from revops.activation.playbook_lists import Publish

TITLES = {
    "upsell_candidates": "Upsell candidates",
    "churn_risk": "Churn risk",
    "revenue_leakage": "Revenue leakage",
}


def changes_message(
    publish: Publish,
    changes: dict[str, list[Change]],
    files: list[str],
    missing: dict[str, dict[str, int]],
    dashboard_url: str,
    created_at: str,
) -> dict:
    keys = sorted(c.idempotency_key for items in changes.values() for c in items)
    lines = [
        f"RevOps playbooks: changes after the publish of {publish.published_at} UTC "
        f"(data as of {publish.as_of_date})"
    ]
    for name, items in changes.items():
        counts = {kind: sum(c.change == kind for c in items) for kind in (NEW, CHANGED, REMOVED)}
        lines.append(
            f"- {TITLES[name]}: {counts[NEW]} new, {counts[CHANGED]} changed, "
            f"{counts[REMOVED]} removed"
            + "".join(
                f"; {n} without a {crm.capitalize()} record"
                for crm, n in missing.get(name, {}).items()
                if n
            )
        )
        for change in items[:5]:
            lines.append(f"    {change.change}: {_label(name, change.row)}")
        if len(items) > 5:
            lines.append(f"    ... and {len(items) - 5} more (see the attached CRM files)")
    lines.append(f"Dashboard: {dashboard_url}/playbooks")
    text = "\n".join(lines)
    total = sum(len(items) for items in changes.values())
    return {
        "id": digest("changes", *keys, length=24),
        "kind": "changes",
        "created_at": created_at,
        "subject": f"RevOps playbooks: {total} change(s), data as of {publish.as_of_date}",
        "text": text,
        "attachments": files,
        "payload": {
            "text": text,
            "revops": {
                "kind": "changes",
                "publish": vars(publish),
                "lists": {n: [c.as_payload() for c in items] for n, items in changes.items()},
            },
        },
    }


def _label(name: str, row: dict) -> str:
    company = row.get("customer_name") or row.get("customer_id")
    if name == "upsell_candidates":
        return f"{company} (MRR ${row.get('mrr_usd') or 0:,.0f}, plan {row.get('recommended_plan_id')})"
    if name == "churn_risk":
        return f"{company} (score {row.get('risk_score')}, {row.get('risk_band')})"
    return (
        f"{company}: {row.get('finding_type')} {row.get('source_record_id')} "
        f"(${row.get('amount_at_risk_usd') or 0:,.2f} at risk)"
    )


def _figure(value: float | None, column: str) -> str:
    if value is None:
        return "n/a"
    if column.endswith("_usd"):
        return f"${value:,.0f}"
    if "rate" in column or column in ("forecast_accuracy", "nrr", "grr", "csat"):
        return f"{value:.1%}"
    return f"{value:,.4g}"


def _threshold(event: dict) -> str:
    as_change = event["compare"] == "change"
    parts = []
    for word, limit in (("above", event["above"]), ("below", event["below"])):
        if limit is not None:
            parts.append(
                f"{word} {limit:+.1%}" if as_change else f"{word} {_figure(limit, event['column'])}"
            )
    return " or ".join(parts)


def alert_message(event: dict) -> dict:
    column = event["column"]
    if event["compare"] == "change":
        numbers = (
            f"{column} {_figure(event['current'], column)} in {event['period']} vs "
            f"{_figure(event['previous'], column)} in {event['previous_period']}: "
            f"{event['value']:+.1%}"
        )
    else:
        numbers = f"{column} {_figure(event['value'], column)} in {event['period']}"
    state = "FIRING" if event["event"] == FIRING else "CLEARED"
    subject = f"KPI alert {state}: {event['description']}"
    text = (
        f"{subject}\n{numbers} (alert when {_threshold(event)}; marts.{event['table']})\n"
        f"Dashboard: {event['link']}"
    )
    return {
        "id": digest("alert", event["rule"], event["event"], event["at"], length=24),
        "kind": "alerts",
        "created_at": event["at"],
        "subject": subject,
        "text": text,
        "attachments": [],
        "payload": {"text": text, "revops": {"kind": "alert", **event}},
    }
