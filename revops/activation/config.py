"""activation.yml: where the outbox is, which lists and layouts to write, the destinations
to deliver to and the KPI alert rules. Secrets are never in the file: it names the
environment variables that hold them, read only when a message is sent."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from revops.paths import REPO_ROOT, warehouse_dir

CONFIG_ENV = "REVOPS_ACTIVATION_CONFIG"
OUTBOX_ENV = "REVOPS_OUTBOX_DIR"
DEFAULT_CONFIG = REPO_ROOT / "activation.yml"
EXAMPLE_CONFIG = REPO_ROOT / "activation.example.yml"

LIST_NAMES = ("upsell_candidates", "churn_risk", "revenue_leakage")
LAYOUTS = ("salesforce", "hubspot")
KINDS = ("changes", "alerts")
DESTINATION_TYPES = ("webhook", "email")
COMPARES = ("value", "change")
DEFAULT_PAGES = {
    "kpi_revenue_monthly": "revenue",
    "kpi_sales_monthly": "sales",
    "kpi_success_monthly": "success",
    "kpi_funnel_monthly": "funnel",
}


class ActivationConfigError(ValueError):
    """activation.yml cannot be used; the message names the file and the key to fix."""


@dataclass(frozen=True)
class Destination:
    name: str
    type: str  # webhook | email
    send: tuple[str, ...]  # which kinds of message: changes, alerts
    # webhook
    url_env: str | None = None
    include_rows: bool = True
    # email
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    starttls: bool = False
    username_env: str | None = None
    password_env: str | None = None
    from_address: str | None = None
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertRule:
    name: str
    table: str  # a mart in schema marts
    column: str
    compare: str = "value"  # value: the latest period's; change: relative to the period before
    above: float | None = None
    below: float | None = None
    where: dict[str, str] = field(default_factory=dict)  # column = value filters
    description: str = ""
    page: str = "activation"  # dashboard page the message links to

    def describe(self) -> str:
        return self.description or self.name


@dataclass(frozen=True)
class ActivationConfig:
    source: Path | None  # the YAML read; None: defaults, no file
    outbox_dir: Path
    dashboard_url: str = "http://127.0.0.1:8501"
    lists: tuple[str, ...] = LIST_NAMES
    layouts: tuple[str, ...] = LAYOUTS
    retries: int = 3
    backoff_seconds: float = 2.0
    timeout_seconds: float = 10.0
    destinations: tuple[Destination, ...] = ()
    alerts: tuple[AlertRule, ...] = ()

    def destination(self, name: str) -> Destination:
        for destination in self.destinations:
            if destination.name == name:
                return destination
        raise ActivationConfigError(
            f"{self.where()}: no destination named {name!r} under `destinations` "
            f"(configured: {', '.join(d.name for d in self.destinations) or 'none'})"
        )

    def where(self) -> str:
        return str(self.source) if self.source else "activation defaults (no activation.yml)"


def config_path() -> Path:
    """$REVOPS_ACTIVATION_CONFIG, else activation.yml at the repository root."""
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG)).resolve()


def default_outbox() -> Path:
    return Path(os.environ.get(OUTBOX_ENV, warehouse_dir() / "outbox")).resolve()


def load_config(path: Path | None = None) -> ActivationConfig:
    """The activation settings; without a file (activation.yml is optional), the defaults:
    CRM files in the outbox, no destination, no alert rule."""
    path = path or config_path()
    if not path.exists():
        if os.environ.get(CONFIG_ENV):
            raise ActivationConfigError(
                f"{CONFIG_ENV}={path} does not exist: point it at an activation YAML "
                f"(see {EXAMPLE_CONFIG.name}) or unset it"
            )
        return ActivationConfig(source=None, outbox_dir=default_outbox())
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ActivationConfigError(f"{path}: not valid YAML: {error}") from error
    return parse_config(raw, path)


def parse_config(raw: dict, path: Path) -> ActivationConfig:
    reader = _Reader(path)
    reader.mapping(raw, "the top level")
    reader.known(
        raw, "", {"outbox_dir", "dashboard_url", "crm", "delivery", "destinations", "alerts"}
    )
    outbox = raw.get("outbox_dir")
    outbox_dir = (path.parent / outbox).resolve() if outbox else default_outbox()
    crm = raw.get("crm") or {}
    reader.mapping(crm, "crm")
    reader.known(crm, "crm.", {"lists", "layouts"})
    delivery = raw.get("delivery") or {}
    reader.mapping(delivery, "delivery")
    reader.known(delivery, "delivery.", {"retries", "backoff_seconds", "timeout_seconds"})
    destinations = [
        _destination(reader, item, f"destinations[{i}]")
        for i, item in enumerate(raw.get("destinations") or [])
    ]
    names = [d.name for d in destinations]
    if len(set(names)) != len(names):
        reader.fail("destinations", f"names must be unique, got {names}")
    rules = [_rule(reader, item, f"alerts[{i}]") for i, item in enumerate(raw.get("alerts") or [])]
    rule_names = [r.name for r in rules]
    if len(set(rule_names)) != len(rule_names):
        reader.fail("alerts", f"names must be unique, got {rule_names}")
    return ActivationConfig(
        source=path,
        outbox_dir=outbox_dir,
        dashboard_url=str(raw.get("dashboard_url", "http://127.0.0.1:8501")).rstrip("/"),
        lists=reader.choices(crm, "crm.lists", "lists", LIST_NAMES),
        layouts=reader.choices(crm, "crm.layouts", "layouts", LAYOUTS),
        retries=int(reader.number(delivery, "delivery.retries", "retries", 3, minimum=0)),
        backoff_seconds=reader.number(
            delivery, "delivery.backoff_seconds", "backoff_seconds", 2.0, minimum=0
        ),
        timeout_seconds=reader.number(
            delivery, "delivery.timeout_seconds", "timeout_seconds", 10.0, minimum=0.1
        ),
        destinations=tuple(destinations),
        alerts=tuple(rules),
    )


def _destination(reader: _Reader, item, where: str) -> Destination:
    reader.mapping(item, where)
    kind = item.get("type")
    if kind not in DESTINATION_TYPES:
        reader.fail(f"{where}.type", f"must be one of {', '.join(DESTINATION_TYPES)}, got {kind!r}")
    common = {"name", "type", "send"}
    name = reader.text(item, f"{where}.name", "name")
    send = reader.choices(item, f"{where}.send", "send", KINDS)
    if kind == "webhook":
        reader.known(item, f"{where}.", common | {"url_env", "include_rows"})
        return Destination(
            name=name,
            type=kind,
            send=send,
            url_env=reader.text(item, f"{where}.url_env", "url_env"),
            include_rows=bool(item.get("include_rows", True)),
        )
    reader.known(
        item,
        f"{where}.",
        common
        | {"smtp_host", "smtp_port", "starttls", "username_env", "password_env"}
        | {"from", "to"},
    )
    to = item.get("to")
    to = [to] if isinstance(to, str) else to
    if not to or not all(isinstance(a, str) and "@" in a for a in to):
        reader.fail(f"{where}.to", "list the recipients' addresses, e.g. [revops@example.com]")
    return Destination(
        name=name,
        type=kind,
        send=send,
        smtp_host=str(item.get("smtp_host", "127.0.0.1")),
        smtp_port=int(reader.number(item, f"{where}.smtp_port", "smtp_port", 25, minimum=1)),
        starttls=bool(item.get("starttls", False)),
        username_env=item.get("username_env"),
        password_env=item.get("password_env"),
        from_address=reader.text(item, f"{where}.from", "from"),
        to=tuple(to),
    )


def _rule(reader: _Reader, item, where: str) -> AlertRule:
    reader.mapping(item, where)
    reader.known(
        item,
        f"{where}.",
        {"name", "table", "column", "compare", "above", "below", "where", "description", "page"},
    )
    compare = item.get("compare", "value")
    if compare not in COMPARES:
        reader.fail(f"{where}.compare", f"must be one of {', '.join(COMPARES)}, got {compare!r}")
    above = reader.number(item, f"{where}.above", "above", None)
    below = reader.number(item, f"{where}.below", "below", None)
    if above is None and below is None:
        reader.fail(where, "give a threshold: `above: <number>` and/or `below: <number>`")
    filters = item.get("where") or {}
    reader.mapping(filters, f"{where}.where")
    table = reader.text(item, f"{where}.table", "table")
    return AlertRule(
        name=reader.text(item, f"{where}.name", "name"),
        table=table,
        column=reader.text(item, f"{where}.column", "column"),
        compare=compare,
        above=above,
        below=below,
        where={str(k): str(v) for k, v in filters.items()},
        description=str(item.get("description", "")),
        page=str(item.get("page", DEFAULT_PAGES.get(table, "activation"))),
    )


class _Reader:
    """Checks one YAML file's values; every error names the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str):
        raise ActivationConfigError(f"{self.path}: {key}: {problem}")

    def mapping(self, value, key: str) -> None:
        if not isinstance(value, dict):
            self.fail(key, f"expected a mapping (key: value lines), got {type(value).__name__}")

    def known(self, value: dict, prefix: str, allowed: set[str]) -> None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(
                f"{prefix}{unknown[0]}",
                f"unknown key; the keys here are {', '.join(sorted(allowed))}",
            )

    def text(self, value: dict, key: str, name: str) -> str:
        text = value.get(name)
        if not isinstance(text, str) or not text.strip():
            self.fail(key, "required (a non-empty text)")
        return text.strip()

    def number(self, value: dict, key: str, name: str, default, minimum: float | None = None):
        if value.get(name) is None:
            return default
        try:
            number = float(value[name])
        except (TypeError, ValueError):
            self.fail(key, f"expected a number, got {value[name]!r}")
        if minimum is not None and number < minimum:
            self.fail(key, f"must be at least {minimum:g}, got {number:g}")
        return number

    def choices(self, value: dict, key: str, name: str, allowed: tuple[str, ...]):
        chosen = value.get(name, list(allowed))
        chosen = [chosen] if isinstance(chosen, str) else chosen
        if not isinstance(chosen, list) or not set(chosen) <= set(allowed):
            self.fail(key, f"choose among {', '.join(allowed)}, got {chosen!r}")
        return tuple(chosen)
