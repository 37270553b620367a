"""`revops outbox list | retry | clear`: what waits in the outbox, deliver it now, or drop it."""

from __future__ import annotations

import sys

from revops.activation.config import ActivationConfig, ActivationConfigError, load_config
from revops.activation.delivery import deliver
from revops.activation.outbox import Outbox


def run_outbox(action: str, destination: str | None, include_pending: bool = False) -> int:
    try:
        config = load_config()
        chosen = [config.destination(destination)] if destination else list(config.destinations)
    except ActivationConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    outbox = Outbox(config.outbox_dir)
    if action == "list":
        return _list(config, outbox, [d.name for d in chosen] if destination else None)
    if action == "retry":
        return _retry(config, chosen)
    return _clear(outbox, [d.name for d in chosen] if destination else None, include_pending)


def _names(config: ActivationConfig, outbox: Outbox, only: list[str] | None) -> list[str]:
    if only:
        return only
    # destinations removed from the config may still hold messages: show those too
    return sorted({d.name for d in config.destinations} | set(outbox.destinations_seen()))


def _list(config: ActivationConfig, outbox: Outbox, only: list[str] | None) -> int:
    print(f"outbox {outbox.root} (config: {config.where()})")
    names = _names(config, outbox, only)
    if not names:
        print("  no destination configured: CRM files only (see activation.example.yml)")
    for name in names:
        pending, dead = outbox.pending(name), outbox.dead_letters(name)
        last = outbox.last_delivery(name)
        said = f"last {last['status']} {last['at']}" if last else "nothing delivered yet"
        print(f"  {name}: {len(pending)} pending, {len(dead)} in dead letter; {said}")
        for message_id in pending:
            print(f"    pending      {message_id}  {outbox.message(message_id)['subject']}")
        for message_id in dead:
            letter = outbox.dead_letter(name, message_id)
            print(f"    dead letter  {message_id}  {letter['summary']}")
            print(
                f"                 {letter['attempts']} attempt(s), {letter['at']}: {letter['error']}"
            )
    state = outbox.read_state()
    for name, alert in sorted(state["alerts"]["open"].items()):
        print(f"  open alert {name} since {alert['at']}: {alert['description']}")
    return 0


def _retry(config: ActivationConfig, chosen) -> int:
    if not chosen:
        print(
            f"no destination in {config.where()}: nothing to deliver (see activation.example.yml)"
        )
        return 0
    failed = 0
    for destination in chosen:
        report = deliver(config, destination, progress=print)
        print(
            f"{destination.name}: {len(report.delivered)} delivered, "
            f"{len(report.dead_lettered)} dead-lettered"
        )
        failed += len(report.dead_lettered)
    return 1 if failed else 0


def _clear(outbox: Outbox, only: list[str] | None, include_pending: bool) -> int:
    names = only or outbox.destinations_seen()
    for name in names:
        dropped = outbox.dead_letters(name) + (outbox.pending(name) if include_pending else [])
        for message_id in dropped:
            outbox.drop(name, message_id)
        print(f"{name}: dropped {len(dropped)} message(s) without delivering them")
    return 0


def print_outbox_note() -> None:
    """After a refresh: say so when messages wait in the dead letter (the run still succeeded:
    the warehouse was published; delivery is retried by the next run or by hand)."""
    try:
        config = load_config()
    except ActivationConfigError:
        return
    outbox = Outbox(config.outbox_dir)
    dead = {n: len(outbox.dead_letters(n)) for n in outbox.destinations_seen()}
    if any(dead.values()):
        waiting = ", ".join(f"{n}: {count}" for n, count in dead.items() if count)
        print(
            f"\nNot delivered ({waiting} message(s) in the dead letter): `revops outbox list` "
            "says why, `revops outbox retry` sends them again."
        )
