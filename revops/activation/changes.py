"""What changed on a list since it was last sent: new, changed and removed records, each
with an idempotency key that is the same however often the same change is computed.

The key hashes the list, the record, the kind of change, the content hash and the record's
version (how many changes of it were sent before), so a record that leaves the list and
comes back later is a new change, while re-running one publish gives the same keys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from revops.activation.playbook_lists import LISTS

NEW, CHANGED, REMOVED = "new", "changed", "removed"


@dataclass(frozen=True)
class Change:
    list_name: str
    record_key: str
    change: str  # new | changed | removed
    idempotency_key: str
    content_hash: str
    version: int
    row: dict  # the current row; for a removed record, the row last sent

    def as_payload(self) -> dict:
        return {"change": self.change, "idempotency_key": self.idempotency_key, **self.row}


def digest(*parts: object, length: int = 20) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:length]


def content_hash(list_name: str, row: dict) -> str:
    spec = LISTS[list_name]
    tracked = {c: row.get(c) for c in spec.tracked}
    tracked["crm"] = [row.get("salesforce_ids"), row.get("hubspot_ids")]
    return digest(json.dumps(tracked, sort_keys=True, default=str), length=16)


def diff(list_name: str, current: dict[str, dict], sent: dict[str, dict]) -> list[Change]:
    """`sent`: record key -> {hash, version, on_list, row} as the state file keeps it."""
    changes = []
    for key, row in current.items():
        before = sent.get(key)
        hashed = content_hash(list_name, row)
        if before is None or not before["on_list"]:
            kind = NEW
        elif before["hash"] != hashed:
            kind = CHANGED
        else:
            continue
        version = (before or {}).get("version", 0) + 1
        changes.append(_change(list_name, key, kind, hashed, version, row))
    for key, before in sent.items():
        if before["on_list"] and key not in current:
            version = before["version"] + 1
            changes.append(_change(list_name, key, REMOVED, before["hash"], version, before["row"]))
    return sorted(changes, key=lambda c: (c.change != NEW, c.change != CHANGED, c.record_key))


def _change(list_name, key, kind, hashed, version, row) -> Change:
    idempotency_key = digest(list_name, key, kind, hashed, version)
    return Change(list_name, key, kind, idempotency_key, hashed, version, row)


def apply(sent: dict[str, dict], changes: list[Change]) -> dict[str, dict]:
    """The state after these changes were sent (removed records kept, off the list, so
    their version keeps counting)."""
    state = dict(sent)
    for change in changes:
        state[change.record_key] = {
            "hash": change.content_hash,
            "version": change.version,
            "on_list": change.change != REMOVED,
            "row": change.row,
        }
    return state
