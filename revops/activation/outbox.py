"""The outbox folder: what was last sent (state.json), the messages, and per destination what
is pending, what was dead-lettered and what was delivered (a marker per message, so nothing
is ever sent twice), plus deliveries.jsonl, the log the dashboard and `revops outbox` read.

    <outbox>/state.json                         lists as last sent, open alerts, alert events
    <outbox>/crm/<publish>/<layout>/<list>.csv  CRM import files of one publish's changes
    <outbox>/messages/<id>.json                 each message once (text, payload, attachments)
    <outbox>/pending/<destination>/<id>         to deliver
    <outbox>/dead_letter/<destination>/<id>.json  failed after every retry (with the error)
    <outbox>/sent/<destination>/<id>.json       delivered (when, after how many attempts)
    <outbox>/deliveries.jsonl                   one line per delivery or dead letter

Every file is written to a temporary name and renamed, and one lock file serialises the
refresh's assets and the command line.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STATE_VERSION = 1
KEEP_ALERT_EVENTS = 200


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(value, indent=1, sort_keys=True, default=str))
    os.replace(partial, path)


@dataclass(frozen=True)
class Outbox:
    root: Path

    @contextmanager
    def locked(self) -> Iterator[Outbox]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ---- state: what was sent last
    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def read_state(self) -> dict:
        if not self.state_path.exists():
            return {"version": STATE_VERSION, "lists": {}, "alerts": {"open": {}, "events": []}}
        return json.loads(self.state_path.read_text())

    def write_state(self, state: dict) -> None:
        state["alerts"]["events"] = state["alerts"]["events"][-KEEP_ALERT_EVENTS:]
        write_json(self.state_path, state)

    # ---- messages and their queues
    def message(self, message_id: str) -> dict:
        return json.loads((self.root / "messages" / f"{message_id}.json").read_text())

    def queue(self, message: dict, destinations: list[str]) -> list[str]:
        """Store the message and mark it pending for each destination that has not had it;
        returns those destinations."""
        write_json(self.root / "messages" / f"{message['id']}.json", message)
        queued = []
        for name in destinations:
            if self.was_sent(name, message["id"]):
                continue
            pending = self.root / "pending" / name / message["id"]
            pending.parent.mkdir(parents=True, exist_ok=True)
            pending.touch()
            queued.append(name)
        return queued

    def was_sent(self, destination: str, message_id: str) -> bool:
        return (self.root / "sent" / destination / f"{message_id}.json").exists()

    def pending(self, destination: str) -> list[str]:
        return self._ids(self.root / "pending" / destination, "")

    def dead_letters(self, destination: str) -> list[str]:
        return self._ids(self.root / "dead_letter" / destination, ".json")

    def waiting(self, destination: str) -> list[str]:
        """Pending and dead-lettered messages together, oldest first."""
        ids = set(self.pending(destination)) | set(self.dead_letters(destination))
        return sorted(ids, key=lambda i: (self._created(i), i))

    def dead_letter(self, destination: str, message_id: str) -> dict:
        path = self.root / "dead_letter" / destination / f"{message_id}.json"
        return json.loads(path.read_text())

    def destinations_seen(self) -> list[str]:
        names = set()
        for folder in ("pending", "dead_letter", "sent"):
            if (self.root / folder).is_dir():
                names |= {p.name for p in (self.root / folder).iterdir() if p.is_dir()}
        return sorted(names)

    def _ids(self, folder: Path, suffix: str) -> list[str]:
        if not folder.is_dir():
            return []
        ids = [p.name.removesuffix(suffix) for p in folder.iterdir() if not p.name.startswith(".")]
        # oldest message first: the order they were meant to arrive in
        return sorted(ids, key=lambda i: (self._created(i), i))

    def _created(self, message_id: str) -> str:
        try:
            return self.message(message_id)["created_at"]
        except (OSError, ValueError, KeyError):
            return ""

    def mark_sent(self, destination: str, message_id: str, attempts: int) -> dict:
        entry = {
            "at": now(),
            "destination": destination,
            "message_id": message_id,
            "status": "delivered",
            "attempts": attempts,
            "summary": self._summary(message_id),
        }
        write_json(self.root / "sent" / destination / f"{message_id}.json", entry)
        self._forget(destination, message_id)
        self._log(entry)
        return entry

    def mark_dead(self, destination: str, message_id: str, attempts: int, error: str) -> dict:
        entry = {
            "at": now(),
            "destination": destination,
            "message_id": message_id,
            "status": "dead_lettered",
            "attempts": attempts,
            "error": error,
            "summary": self._summary(message_id),
        }
        write_json(self.root / "dead_letter" / destination / f"{message_id}.json", entry)
        (self.root / "pending" / destination / message_id).unlink(missing_ok=True)
        self._log(entry)
        return entry

    def drop(self, destination: str, message_id: str) -> None:
        """Forget a pending or dead-lettered message for a destination (`revops outbox clear`)."""
        self._forget(destination, message_id)

    def _forget(self, destination: str, message_id: str) -> None:
        (self.root / "pending" / destination / message_id).unlink(missing_ok=True)
        (self.root / "dead_letter" / destination / f"{message_id}.json").unlink(missing_ok=True)

    def _summary(self, message_id: str) -> str:
        try:
            return self.message(message_id)["subject"]
        except (OSError, ValueError, KeyError):
            return ""

    # ---- the delivery log
    def _log(self, entry: dict) -> None:
        with open(self.root / "deliveries.jsonl", "a") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")

    def deliveries(self, last: int | None = None) -> list[dict]:
        path = self.root / "deliveries.jsonl"
        if not path.exists():
            return []
        lines = path.read_text().splitlines()
        return [json.loads(line) for line in (lines[-last:] if last else lines) if line]

    def last_delivery(self, destination: str) -> dict | None:
        for entry in reversed(self.deliveries()):
            if entry["destination"] == destination:
                return entry
        return None
