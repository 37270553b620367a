"""Send one message: a JSON POST to a webhook (Slack-compatible: the text is in `text`) or an
e-mail over SMTP with the CRM files attached. Standard library only. Secrets (the webhook
URL, the SMTP login) come from the environment variables the destination names."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from revops.activation.config import ActivationConfig, Destination


class DeliveryError(RuntimeError):
    """One attempt failed; the message says why (and what to set, for a missing secret)."""


def secret(config: ActivationConfig, destination: Destination, key: str) -> str | None:
    variable = getattr(destination, key)
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise DeliveryError(
            f"environment variable {variable} is not set (destination {destination.name!r}, "
            f"key {key} in {config.where()}): export it in the environment of the refresh"
        )
    return value


def send(config: ActivationConfig, destination: Destination, message: dict, outbox: Path) -> None:
    if destination.type == "webhook":
        _post(config, destination, message)
    else:
        _mail(config, destination, message, outbox)


def _post(config: ActivationConfig, destination: Destination, message: dict) -> None:
    url = secret(config, destination, "url_env")
    payload = dict(message["payload"])
    if not destination.include_rows:
        payload.pop("revops", None)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": message["id"]},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"webhook answered HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"webhook not reachable: {reason}") from error


def _mail(config: ActivationConfig, destination: Destination, message: dict, outbox: Path) -> None:
    mail = EmailMessage()
    mail["Subject"] = message["subject"]
    mail["From"] = destination.from_address
    mail["To"] = ", ".join(destination.to)
    mail["Message-ID"] = f"<{message['id']}@revops.outbox>"
    mail.set_content(message["text"])
    for relative in message.get("attachments", []):
        path = outbox / relative
        mail.add_attachment(
            path.read_bytes(),
            maintype="text",
            subtype="csv",
            filename=relative.replace("/", "__"),
        )
    username = secret(config, destination, "username_env")
    password = secret(config, destination, "password_env")
    try:
        with smtplib.SMTP(
            destination.smtp_host, destination.smtp_port, timeout=config.timeout_seconds
        ) as smtp:
            if destination.starttls:
                smtp.starttls()
            if username:
                smtp.login(username, password or "")
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(
            f"SMTP {destination.smtp_host}:{destination.smtp_port}: {error}"
        ) from error
