"""Activation assets, downstream of the publish: they run only in a run that published (a
failed check stops the publish and, with it, everything here), and act on what was
published. One asset per destination shows its last delivery in the Dagster UI."""

import logging

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset
from dagster import MetadataValue as MV

from orchestration.assets.publish import SERVING_KEY
from revops.activation.config import ActivationConfig, ActivationConfigError, load_config
from revops.activation.delivery import deliver
from revops.activation.outbox import Outbox
from revops.activation.run import activate_alerts, activate_changes
from revops.paths import serving_db

GROUP = "activation"
CRM_CHANGES_KEY = AssetKey(["activation", "crm_changes"])
KPI_ALERTS_KEY = AssetKey(["activation", "kpi_alerts"])
OWNERS = ["team:revenue-operations"]


@asset(
    key=CRM_CHANGES_KEY,
    deps=[SERVING_KEY],
    group_name=GROUP,
    kinds={"csv", "salesforce", "hubspot"},
    owners=OWNERS,
    description=(
        "The playbook lists (upsell candidates, churn risk, revenue leakage) as Salesforce and "
        "HubSpot import files of what changed since the last publish (new, changed, removed), "
        "in the outbox; a message about them is queued for each destination that wants changes."
    ),
)
def crm_changes(context: AssetExecutionContext) -> MaterializeResult:
    config = load_config()
    result = activate_changes(config, serving_db(), context.log.info)
    return MaterializeResult(
        metadata={
            "publish_run_id": MV.text(result.publish.run_id),
            "as_of_date": MV.text(str(result.publish.as_of_date)),
            "changes": MV.json(result.counts),
            "without_crm_record": MV.json(result.missing),
            "files": MV.json(result.files),
            "outbox": MV.path(str(config.outbox_dir)),
            "queued_for": MV.text(", ".join(result.queued_for) or "no destination"),
        }
    )


@asset(
    key=KPI_ALERTS_KEY,
    deps=[SERVING_KEY],
    group_name=GROUP,
    kinds={"python"},
    owners=OWNERS,
    description=(
        "The KPI alert rules of activation.yml evaluated on the published marts: a rule fires "
        "once when breached and once when it clears; the events are queued for each "
        "destination that wants alerts."
    ),
)
def kpi_alerts(context: AssetExecutionContext) -> MaterializeResult:
    config = load_config()
    result = activate_alerts(config, serving_db(), context.log.info)
    return MaterializeResult(
        metadata={
            "rules": MV.int(len(config.alerts)),
            "open_alerts": MV.json(sorted(result.open)),
            "fired": MV.json([e["rule"] for e in result.events if e["event"] == "firing"]),
            "cleared": MV.json([e["rule"] for e in result.events if e["event"] == "cleared"]),
        }
    )


def destination_asset(name: str, kind: str) -> AssetsDefinition:
    @asset(
        key=AssetKey(["activation", "destination", name]),
        deps=[CRM_CHANGES_KEY, KPI_ALERTS_KEY],
        group_name=GROUP,
        kinds={kind},
        owners=OWNERS,
        description=(
            f"Delivers the outbox's pending and dead-lettered messages to the {kind} "
            f"destination {name!r} of activation.yml (retries with backoff; what still fails "
            "is dead-lettered for `revops outbox retry`)."
        ),
    )
    def _deliver(context: AssetExecutionContext) -> MaterializeResult:
        config = load_config()
        report = deliver(config, config.destination(name), context.log.info)
        outbox = Outbox(config.outbox_dir)
        last = outbox.last_delivery(name)
        if report.dead_lettered:
            context.log.warning(
                f"{name}: {len(report.dead_lettered)} message(s) dead-lettered in "
                f"{config.outbox_dir / 'dead_letter' / name}"
            )
        return MaterializeResult(
            metadata={
                "delivered": MV.int(len(report.delivered)),
                "dead_lettered": MV.int(len(report.dead_lettered)),
                "waiting_in_dead_letter": MV.int(len(outbox.dead_letters(name))),
                "last_delivery_at": MV.text(last["at"] if last else "never"),
                "last_delivery_status": MV.text(last["status"] if last else "none"),
                "last_delivery": MV.json(last or {}),
            }
        )

    return _deliver


def configured_destinations() -> ActivationConfig | None:
    """The config the code location starts with; a broken file must not stop the refresh
    from loading (the activation assets then fail with its message, after the publish)."""
    try:
        return load_config()
    except ActivationConfigError as error:
        logging.getLogger(__name__).error("activation: %s", error)
        return None


def activation_assets(config: ActivationConfig | None = None) -> list[AssetsDefinition]:
    destinations = config.destinations if config else ()
    return [crm_changes, kpi_alerts, *(destination_asset(d.name, d.type) for d in destinations)]
