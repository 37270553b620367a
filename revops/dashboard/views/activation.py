"""Alerts and deliveries page: the KPI alerts open now, the latest alert events, and what
the outbox last delivered (or dead-lettered) to each destination of activation.yml. Reads
the outbox folder (state.json, deliveries.jsonl), not the serving file; filters do not apply."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from revops.activation.config import ActivationConfigError, load_config
from revops.activation.outbox import Outbox

LAST_DELIVERIES = 20
LAST_EVENTS = 10


def open_alerts(state: dict) -> pd.DataFrame:
    rows = []
    for name, alert in sorted(state["alerts"]["open"].items()):
        latest = alert.get("latest") or alert
        rows.append(
            {
                "alert": name,
                "description": alert["description"],
                "since": alert["at"],
                "period": latest["period"],
                "value": latest["value"],
                "threshold": _threshold(alert),
                "page": alert["link"],
            }
        )
    return pd.DataFrame(
        rows, columns=["alert", "description", "since", "period", "value", "threshold", "page"]
    )


def _threshold(alert: dict) -> str:
    parts = [
        f"{word} {alert[word]:g}" for word in ("above", "below") if alert.get(word) is not None
    ]
    return " or ".join(parts)


def alert_events(state: dict) -> pd.DataFrame:
    events = state["alerts"]["events"][-LAST_EVENTS:][::-1]
    return pd.DataFrame(
        [
            {
                "at": e["at"],
                "event": e["event"],
                "alert": e["rule"],
                "period": e["period"],
                "value": e["value"],
            }
            for e in events
        ],
        columns=["at", "event", "alert", "period", "value"],
    )


def deliveries(outbox: Outbox) -> pd.DataFrame:
    entries = outbox.deliveries(LAST_DELIVERIES)[::-1]
    return pd.DataFrame(
        [
            {
                "at": e["at"],
                "destination": e["destination"],
                "status": e["status"],
                "message": e.get("summary", ""),
                "attempts": e["attempts"],
                "error": e.get("error", ""),
            }
            for e in entries
        ],
        columns=["at", "destination", "status", "message", "attempts", "error"],
    )


def render() -> None:
    st.header("Alerts and deliveries")
    try:
        config = load_config()
    except ActivationConfigError as error:
        st.error(f"The activation config cannot be read: {error}", icon=":material/error:")
        return
    outbox = Outbox(config.outbox_dir)
    state = outbox.read_state()
    names = sorted({d.name for d in config.destinations} | set(outbox.destinations_seen()))
    pending = sum(len(outbox.pending(n)) for n in names)
    dead = sum(len(outbox.dead_letters(n)) for n in names)
    st.caption(
        f"Outbox {outbox.root} · config {config.where()} · {len(config.alerts)} alert rule(s), "
        f"{len(config.destinations)} destination(s). The filters above do not apply here."
    )
    cols = st.columns(3)
    cols[0].metric("Open alerts", len(state["alerts"]["open"]))
    cols[1].metric("Messages pending", pending)
    cols[2].metric("In dead letter", dead)
    if dead:
        st.warning(
            f"{dead} message(s) could not be delivered: `revops outbox list` shows why, "
            "`revops outbox retry` sends them again.",
            icon=":material/mark_email_unread:",
        )

    st.subheader("Open alerts")
    alerts = open_alerts(state)
    if alerts.empty:
        st.info("No KPI alert is open.", icon=":material/check_circle:")
    else:
        st.dataframe(
            alerts,
            hide_index=True,
            width="stretch",
            column_config={"page": st.column_config.LinkColumn("dashboard page")},
        )
    events = alert_events(state)
    if not events.empty:
        st.caption("Latest alert events (each alert fires once per breach and once when it clears)")
        st.dataframe(events, hide_index=True, width="stretch")

    st.subheader("Last deliveries")
    delivered = deliveries(outbox)
    if delivered.empty:
        st.info(
            "Nothing delivered yet"
            + ("" if config.destinations else ": no destination in activation.yml")
            + ".",
            icon=":material/outbox:",
        )
    else:
        st.dataframe(delivered, hide_index=True, width="stretch")
    last = state.get("last_changes")
    if last:
        st.caption(
            f"Last CRM change files: publish {last['publish']['run_id'][:8]} "
            f"({last['publish']['published_at']} UTC), in {outbox.root / 'crm'}"
        )


if __name__ == "__main__":
    render()
