"""Deliver a destination's pending and dead-lettered messages, oldest first: each is tried
1 + `delivery.retries` times with a doubling pause; a message that still fails is
dead-lettered (a later run or `revops outbox retry` tries it again). Once one message has
failed every attempt, the rest are dead-lettered without waiting through their retries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from revops.activation.config import ActivationConfig, Destination
from revops.activation.outbox import Outbox
from revops.activation.senders import DeliveryError, send

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    destination: str
    delivered: list[dict] = field(default_factory=list)
    dead_lettered: list[dict] = field(default_factory=list)
    skipped_already_sent: int = 0


def deliver(
    config: ActivationConfig,
    destination: Destination,
    progress: Callable[[str], None] = log.info,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    outbox = Outbox(config.outbox_dir)
    report = DeliveryReport(destination.name)
    with outbox.locked():
        down = None  # the error of a destination that failed every attempt in this pass
        for message_id in outbox.waiting(destination.name):
            if outbox.was_sent(destination.name, message_id):
                outbox.drop(destination.name, message_id)
                report.skipped_already_sent += 1
                continue
            message = outbox.message(message_id)
            if down is not None:
                entry = outbox.mark_dead(destination.name, message_id, 0, f"not tried: {down}")
                report.dead_lettered.append(entry)
                continue
            attempts, error = _attempt(config, destination, message, outbox, sleep)
            if error is None:
                entry = outbox.mark_sent(destination.name, message_id, attempts)
                report.delivered.append(entry)
                progress(f"{destination.name}: delivered {message['subject']!r} ({message_id})")
            else:
                down = error
                entry = outbox.mark_dead(destination.name, message_id, attempts, error)
                report.dead_lettered.append(entry)
                progress(
                    f"{destination.name}: dead-lettered {message['subject']!r} after "
                    f"{attempts} attempt(s): {error}; `revops outbox retry` sends it again"
                )
    return report


def _attempt(config, destination, message, outbox, sleep) -> tuple[int, str | None]:
    attempts = 1 + config.retries
    error = None
    for attempt in range(1, attempts + 1):
        try:
            send(config, destination, message, outbox.root)
            return attempt, None
        except DeliveryError as failure:
            error = str(failure)
            if "environment variable" in error:  # waiting will not set it
                return attempt, error
            if attempt < attempts:
                pause = config.backoff_seconds * 2 ** (attempt - 1)
                log.warning(
                    "%s: attempt %d failed (%s); retrying in %.1f s",
                    destination.name,
                    attempt,
                    error,
                    pause,
                )
                sleep(pause)
    return attempts, error
