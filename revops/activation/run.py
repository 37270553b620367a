"""One publish's activation: the playbook changes since the last send (CRM files and a
message) and the KPI alert events, queued for the destinations that want them.

Order matters for "never twice": files and queue entries are written before state.json, so
a crash in between recomputes the same changes (same idempotency keys, same message id) and
the outbox's sent markers keep a destination from receiving it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from revops.activation import alerts as alert_rules
from revops.activation.changes import apply, diff
from revops.activation.config import ActivationConfig
from revops.activation.crm_files import crm_rows, write_csv
from revops.activation.messages import alert_message, changes_message
from revops.activation.outbox import Outbox
from revops.activation.playbook_lists import Publish, latest_publish, read_lists

log = logging.getLogger(__name__)


@dataclass
class ChangesResult:
    publish: Publish
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # list -> change -> n
    files: list[str] = field(default_factory=list)  # relative to the outbox
    missing: dict[str, dict[str, int]] = field(default_factory=dict)  # list -> crm -> n
    message_id: str | None = None
    queued_for: list[str] = field(default_factory=list)


@dataclass
class AlertsResult:
    publish: Publish
    events: list[dict] = field(default_factory=list)
    open: dict[str, dict] = field(default_factory=dict)
    queued_for: dict[str, list[str]] = field(default_factory=dict)  # message id -> destinations


def _wanting(config: ActivationConfig, kind: str) -> list[str]:
    return [d.name for d in config.destinations if kind in d.send]


def publish_folder(publish: Publish) -> str:
    stamp = publish.published_at.replace("-", "").replace(":", "")
    return f"crm/{stamp}Z-{publish.run_id[:8]}"


def activate_changes(
    config: ActivationConfig, serving_db: Path, progress: Callable[[str], None] = log.info
) -> ChangesResult:
    publish = latest_publish(serving_db)
    current = read_lists(serving_db, config.lists)
    outbox = Outbox(config.outbox_dir)
    result = ChangesResult(publish)
    with outbox.locked():
        state = outbox.read_state()
        sent = state["lists"]
        changes = {name: diff(name, rows, sent.get(name, {})) for name, rows in current.items()}
        for name, items in changes.items():
            result.counts[name] = {
                kind: sum(c.change == kind for c in items) for kind in ("new", "changed", "removed")
            }
        changed = {name: items for name, items in changes.items() if items}
        if not changed:
            progress(f"playbook lists unchanged since the last send (publish {publish.run_id[:8]})")
            return result
        folder = publish_folder(publish)
        for name, items in changed.items():
            for layout in config.layouts:
                rows, missing = crm_rows(layout, name, items)
                result.missing.setdefault(name, {})[layout] = missing
                if rows:
                    relative = f"{folder}/{layout}/{name}.csv"
                    write_csv(outbox.root / relative, rows)
                    result.files.append(relative)
            counts = result.counts[name]
            progress(
                f"{name}: {counts['new']} new, {counts['changed']} changed, "
                f"{counts['removed']} removed -> {outbox.root / folder}"
            )
        message = changes_message(
            publish,
            changed,
            result.files,
            result.missing,
            config.dashboard_url,
            publish.published_at,
        )
        result.message_id = message["id"]
        result.queued_for = outbox.queue(message, _wanting(config, "changes"))
        for name, items in changed.items():
            sent[name] = apply(sent.get(name, {}), items)
        state["lists"] = sent
        state["last_changes"] = {"publish": vars(publish), "message_id": message["id"]}
        outbox.write_state(state)
    if result.queued_for:
        progress(f"changes message {result.message_id} queued for {', '.join(result.queued_for)}")
    return result


def activate_alerts(
    config: ActivationConfig, serving_db: Path, progress: Callable[[str], None] = log.info
) -> AlertsResult:
    publish = latest_publish(serving_db)
    readings = alert_rules.read_rules(serving_db, config.alerts)
    outbox = Outbox(config.outbox_dir)
    result = AlertsResult(publish)
    with outbox.locked():
        state = outbox.read_state()
        events, still_open = alert_rules.transitions(
            config, readings, state["alerts"]["open"], publish.published_at
        )
        for event in events:
            message = alert_message(event)
            result.queued_for[message["id"]] = outbox.queue(message, _wanting(config, "alerts"))
            progress(" ".join(message["text"].splitlines()[:2]))
        state["alerts"]["open"] = still_open
        state["alerts"]["events"] = state["alerts"]["events"] + events
        state["alerts"]["last_evaluated"] = {
            "publish": vars(publish),
            "readings": [vars(r) for r in readings],
        }
        outbox.write_state(state)
    result.events, result.open = events, still_open
    if not events:
        progress(f"{len(readings)} alert rule(s) evaluated; no alert fired or cleared")
    return result
