"""Activation after a publish: CRM change files, KPI alerts and their delivery, against real
receivers on 127.0.0.1 (tests/activation_receivers.py).

The published tiny workspace is reused (its refresh already ran the activation assets); a
later publish is simulated by editing a private copy's serving file and recording a new
publish in meta.refreshes, then the activation assets run by Dagster on it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.assets.activation import activation_assets
from revops.activation.config import CONFIG_ENV, ActivationConfigError, load_config
from revops.activation.outbox import Outbox
from revops.activation.playbook_lists import LISTS, plain
from revops.cli import build_parser, main

from .activation_receivers import attachments, free_port, smtp_receiver, webhook_receiver
from .conftest import run_full_refresh

WEBHOOK_ENV = "REVOPS_TEST_WEBHOOK_URL"
ACTIVATION_STEPS = {"activation__crm_changes", "activation__kpi_alerts"}


def write_config(path: Path, smtp_port: int | None, rules: str = "") -> Path:
    email = (
        f"""
  - name: team-mail
    type: email
    smtp_host: 127.0.0.1
    smtp_port: {smtp_port}
    from: revops@example.com
    to: [sales-ops@example.com]
"""
        if smtp_port
        else ""
    )
    path.write_text(
        f"""
dashboard_url: http://127.0.0.1:8501
delivery: {{retries: 2, backoff_seconds: 0.01, timeout_seconds: 2}}
destinations:
  - name: slack
    type: webhook
    url_env: {WEBHOOK_ENV}
{email}
alerts:
{rules or "  []"}
"""
    )
    return path


def run_activation():
    """The activation assets of the current config, run by Dagster on the serving file."""
    with DagsterInstance.ephemeral() as instance:
        result = materialize(activation_assets(load_config()), instance=instance)
    assert result.success
    return result


def publish_again(serving: Path, *statements: str) -> str:
    """A later publish: the marts edited, and a new row in meta.refreshes."""
    run_id = str(uuid.uuid4())
    con = duckdb.connect(str(serving))
    try:
        for statement in statements:
            con.execute(statement)
        con.execute(
            "insert into meta.refreshes select ?, ?, as_of_date, tables from meta.refreshes "
            "order by published_at desc limit 1",
            [run_id, datetime.now(UTC).replace(tzinfo=None)],
        )
    finally:
        con.close()
    return run_id


def _mart_columns(sent: dict, mart_row: dict, list_name: str) -> bool:
    """Every column the list sends equals the mart row's (at the 4 decimals sent)."""
    columns = [c for c in LISTS[list_name].columns if c in mart_row]
    assert len(columns) >= 6
    assert {c: sent[c] for c in columns} == {c: plain(mart_row[c]) for c in columns}
    return True


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _rows(ws, sql: str) -> list[dict]:
    con = duckdb.connect(str(ws.serving), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_the_refresh_writes_crm_files_of_the_published_lists(tiny_published):
    ws, result = tiny_published
    succeeded = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert succeeded >= ACTIVATION_STEPS
    outbox = ws.warehouse / "outbox"
    (folder,) = (outbox / "crm").iterdir()
    # churn risk: the one paying customer, its Salesforce account A-1 and HubSpot lead L-1
    (risk,) = _rows(ws, "select * from marts.playbook_churn_risk")
    (salesforce,) = _csv((folder / "salesforce" / "churn_risk.csv").read_text())
    assert salesforce["Id"] == "A-1" and salesforce["RevOps_Change__c"] == "new"
    assert int(salesforce["RevOps_Churn_Risk_Score__c"]) == risk["risk_score"]
    assert salesforce["RevOps_Customer_Id__c"] == risk["customer_id"]
    (hubspot,) = _csv((folder / "hubspot" / "churn_risk.csv").read_text())
    assert hubspot["Record ID"] == "L-1" and hubspot["revops_churn_risk_band"] == risk["risk_band"]
    # leakage: the unbilled deal's task is related to its opportunity in Salesforce
    (finding,) = _rows(ws, "select * from marts.revenue_leakage")
    (task,) = _csv((folder / "salesforce" / "revenue_leakage.csv").read_text())
    assert (task["RevOps_Finding_Id__c"], task["WhatId"]) == (finding["finding_id"], "O-2")
    assert float(task["RevOps_Amount_At_Risk_USD__c"]) == finding["amount_at_risk_usd"]
    # no e-mail address or person's name in any file
    text = "".join(p.read_text() for p in folder.rglob("*.csv"))
    assert "@" not in text and "Ann" not in text
    assert not (folder / "salesforce" / "upsell_candidates.csv").exists()  # nothing changed


@pytest.fixture
def receivers(published_copy, tmp_path, monkeypatch):
    with webhook_receiver() as hook, smtp_receiver() as smtp:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        config = write_config(tmp_path / "activation.yml", smtp.port)
        monkeypatch.setenv(CONFIG_ENV, str(config))
        yield published_copy, hook, smtp


UPSELL = (
    "insert into marts.playbook_upsell_candidates (customer_id, customer_name, mrr_usd, "
    "seat_utilisation, recommended_plan_id, rank) values "
    "('cus_1841a7f113d95401', 'Acme Inc', 500, 0.95, 'PLAN-PRO', 1)"
)


def test_what_arrives_equals_the_marts_rows_and_nothing_is_sent_twice(receivers):
    ws, hook, smtp = receivers
    (old_finding,) = _rows(ws, "select finding_id from marts.revenue_leakage")
    publish_again(
        ws.serving,
        UPSELL,
        "update marts.playbook_churn_risk set risk_score = 70, risk_band = 'high'",
        "delete from marts.revenue_leakage",
    )
    result = run_activation()
    assert len(hook.received) == 1 and len(smtp.received) == 1
    posted = hook.received[0]["json"]
    assert "Upsell candidates: 1 new, 0 changed, 0 removed" in posted["text"]
    lists = posted["revops"]["lists"]
    # every row that arrives is the mart's row, with its change and CRM ids
    (upsell,) = _rows(ws, "select * from marts.playbook_upsell_candidates")
    (sent,) = lists["upsell_candidates"]
    assert sent["change"] == "new" and sent["salesforce_ids"] == ["A-1"]
    assert _mart_columns(sent, upsell, "upsell_candidates")
    (risk,) = _rows(ws, "select * from marts.playbook_churn_risk")
    (changed,) = lists["churn_risk"]
    assert changed["change"] == "changed" and changed["risk_score"] == 70
    assert _mart_columns(changed, risk, "churn_risk")
    (removed,) = lists["revenue_leakage"]
    assert (removed["change"], removed["finding_id"]) == ("removed", old_finding["finding_id"])
    assert hook.received[0]["headers"]["Idempotency-Key"]
    # the e-mail carries the same CRM files as the outbox
    mail = smtp.received[0]["message"]
    assert smtp.received[0]["envelope"]["to"] == ["<sales-ops@example.com>"]
    files = attachments(mail)
    outbox = ws.warehouse / "outbox"
    for name, content in files.items():
        assert _csv((outbox / name.replace("__", "/")).read_text()) == _csv(content)
    (account,) = _csv(
        files[next(n for n in files if n.endswith("salesforce__upsell_candidates.csv"))]
    )
    assert account["Id"] == "A-1" and account["RevOps_Upsell_Candidate__c"] == "true"
    (task,) = _csv(files[next(n for n in files if n.endswith("hubspot__revenue_leakage.csv"))])
    assert task["Task Status"] == "COMPLETED" and task["revops_change"] == "removed"
    # each destination is an asset whose metadata says what it last delivered
    meta = result.asset_materializations_for_node("activation__destination__slack")[0].metadata
    assert meta["delivered"].value == 1 and meta["last_delivery_status"].value == "delivered"

    # the same publish again, and a publish with the same lists: nothing new arrives
    run_activation()
    publish_again(ws.serving)
    run_activation()
    assert len(hook.received) == 1 and len(smtp.received) == 1
    keys = [r["idempotency_key"] for items in lists.values() for r in items]
    assert len(set(keys)) == 3

    # off the list and back on: a new change with a new key
    publish_again(ws.serving, "delete from marts.playbook_upsell_candidates")
    run_activation()
    publish_again(ws.serving, UPSELL)
    run_activation()
    assert len(hook.received) == 3  # removed, then new again
    gone = hook.received[1]["json"]["revops"]["lists"]["upsell_candidates"]
    assert gone[0]["change"] == "removed"
    back = hook.received[2]["json"]["revops"]["lists"]["upsell_candidates"]
    assert back[0]["change"] == "new" and back[0]["idempotency_key"] != sent["idempotency_key"]


def test_a_receiver_that_is_down_keeps_the_message_until_retry_delivers_it_once(
    published_copy, tmp_path, monkeypatch, capsys
):
    ws = published_copy
    hook_port, smtp_port = free_port(), free_port()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{hook_port}/hook")
    monkeypatch.setenv(CONFIG_ENV, str(write_config(tmp_path / "a.yml", smtp_port)))
    publish_again(ws.serving, UPSELL)
    run_activation()
    outbox = Outbox(ws.warehouse / "outbox")
    for destination in ("slack", "team-mail"):
        (dead,) = outbox.dead_letters(destination)
        assert outbox.dead_letter(destination, dead)["attempts"] == 3  # 1 + retries
    assert main(["outbox", "list"]) == 0
    listed = capsys.readouterr().out
    assert "slack" in listed and "dead letter" in listed and "not reachable" in listed

    with webhook_receiver(hook_port) as hook, smtp_receiver(smtp_port) as smtp:
        assert main(["outbox", "retry"]) == 0
        assert main(["outbox", "retry"]) == 0  # nothing left: nothing sent again
        run_activation()  # and a later run neither
        assert len(hook.received) == 1 and len(smtp.received) == 1
    assert "PLAN-PRO" in hook.received[0]["json"]["text"]
    assert not outbox.dead_letters("slack") and not outbox.pending("slack")
    assert "delivered" in capsys.readouterr().out


def test_a_failed_refresh_sends_nothing(receivers):
    ws, hook, smtp = receivers
    state = (ws.warehouse / "outbox" / "state.json").read_text()
    path = ws.landing / "sales/opportunities/part-00000.csv"
    path.write_text(path.read_text().replace("\nO-6,", "\nO-5,", 1))  # a repeated key
    result = run_full_refresh()
    assert not result.success
    succeeded = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert not succeeded & (ACTIVATION_STEPS | {"serving__warehouse"})
    assert hook.received == [] and smtp.received == []
    assert (ws.warehouse / "outbox" / "state.json").read_text() == state


MRR_RULE = """
  - name: mrr_down
    description: MRR down more than 5% month over month
    table: kpi_revenue_monthly
    column: mrr_usd
    compare: change
    below: -0.05
  - name: unlinked_records
    table: kpi_data_health
    column: unlinked_records
    above: 10
"""


def test_an_alert_fires_once_and_clears_once(published_copy, tmp_path, monkeypatch):
    ws = published_copy
    latest = "(select max(month) from marts.kpi_revenue_monthly)"
    with webhook_receiver() as hook:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        monkeypatch.setenv(CONFIG_ENV, str(write_config(tmp_path / "a.yml", None, MRR_RULE)))
        run_activation()  # MRR flat at $500: quiet
        assert hook.received == []
        publish_again(
            ws.serving, f"update marts.kpi_revenue_monthly set mrr_usd = 400 where month = {latest}"
        )
        run_activation()
        publish_again(ws.serving)  # still down: no second message
        run_activation()
        page = _dashboard_page()
        assert _metric(page, "Open alerts") == "1"
        (shown,) = page.dataframe[0].value.to_dict("records")
        assert shown["alert"] == "mrr_down" and shown["value"] == pytest.approx(-0.2)
        delivered = page.dataframe[-1].value
        assert list(delivered["status"]) == ["delivered"] and "FIRING" in delivered["message"][0]
        publish_again(
            ws.serving, f"update marts.kpi_revenue_monthly set mrr_usd = 490 where month = {latest}"
        )
        run_activation()
        publish_again(ws.serving)
        run_activation()
    texts = [r["json"]["text"] for r in hook.received]
    assert len(texts) == 2, texts
    assert texts[0].startswith("KPI alert FIRING: MRR down more than 5% month over month")
    assert "mrr_usd $400 in 2025-03-01 vs $500 in 2025-02-01: -20.0%" in texts[0]
    assert "http://127.0.0.1:8501/revenue" in texts[0]
    assert texts[1].startswith("KPI alert CLEARED") and "-2.0%" in texts[1]
    state = json.loads((ws.warehouse / "outbox" / "state.json").read_text())
    assert state["alerts"]["open"] == {}
    assert [e["event"] for e in state["alerts"]["events"]] == ["firing", "cleared"]


def _dashboard_page():
    from streamlit.testing.v1 import AppTest

    from revops import paths

    app = AppTest.from_file(str(paths.REPO_ROOT / "revops/dashboard/app.py"), default_timeout=60)
    app.run()
    app.switch_page("views/activation.py").run()
    assert not app.exception, app.exception
    return app


def _metric(page, label: str) -> str:
    return next(m.value for m in page.metric if m.label == label)


def test_config_errors_name_the_key_and_a_missing_secret_names_the_variable(
    published_copy, tmp_path, monkeypatch
):
    bad = tmp_path / "bad.yml"
    bad.write_text("alerts:\n  - {name: x, table: kpi_revenue_monthly, column: mrr_usd}\n")
    with pytest.raises(ActivationConfigError, match=r"alerts\[0\]: give a threshold"):
        load_config(bad)
    bad.write_text("destinations:\n  - {name: x, type: webhook, url: http://x}\n")
    with pytest.raises(ActivationConfigError, match=r"destinations\[0\]\.url: unknown key"):
        load_config(bad)
    # in a run, the activation step fails with the same words (after the publish)
    monkeypatch.setenv(CONFIG_ENV, str(bad))
    with DagsterInstance.ephemeral() as instance:
        failed = materialize(activation_assets(), instance=instance, raise_on_error=False)
    assert not failed.success
    (failure,) = [
        e.step_failure_data.error for e in failed.all_events if e.event_type_value == "STEP_FAILURE"
    ][:1]
    assert "destinations[0].url: unknown key" in failure.cause.message
    monkeypatch.setenv(CONFIG_ENV, str(write_config(tmp_path / "a.yml", None)))
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    publish_again(published_copy.serving, UPSELL)
    run_activation()
    outbox = Outbox(published_copy.warehouse / "outbox")
    (dead,) = outbox.dead_letters("slack")
    error = outbox.dead_letter("slack", dead)["error"]
    assert f"environment variable {WEBHOOK_ENV} is not set" in error
    assert outbox.dead_letter("slack", dead)["attempts"] == 1  # waiting would not set it
    assert main(["outbox", "clear"]) == 0
    assert not outbox.dead_letters("slack")


def test_outbox_help_names_the_subcommands():
    help_text = build_parser()._subparsers._group_actions[0].choices["outbox"].format_help()
    for word in ("list", "retry", "clear", CONFIG_ENV):
        assert word in help_text


def test_the_example_config_reads_and_its_rules_evaluate(tiny_published):
    from revops.activation.alerts import read_rules
    from revops.activation.config import EXAMPLE_CONFIG

    ws, _ = tiny_published
    config = load_config(EXAMPLE_CONFIG)
    assert [d.type for d in config.destinations] == ["webhook", "email"]
    readings = {r.rule: r for r in read_rules(ws.serving, config.alerts)}
    assert readings["forecast_accuracy_low"].value == pytest.approx(0.9583, abs=1e-4)
    assert readings["unlinked_records"].value == 0
    assert readings["mrr_down_month_over_month"].value == 0


def test_destination_assets_follow_the_config(tmp_path):
    config = load_config(write_config(tmp_path / "a.yml", 2525))
    keys = {key for a in activation_assets(config) for key in a.keys}
    assert AssetKey(["activation", "destination", "team-mail"]) in keys
    assert AssetKey(["activation", "destination", "slack"]) in keys


def test_a_slack_webhook_gets_the_text_alone(tmp_path, monkeypatch):
    from revops.activation.config import Destination
    from revops.activation.senders import send

    config = load_config(write_config(tmp_path / "a.yml", None))
    slack = Destination(name="slack", type="webhook", send=("alerts",), url_env=WEBHOOK_ENV)
    message = {"id": "m1", "payload": {"text": "hello", "revops": {"rows": [1]}}}
    with webhook_receiver() as hook:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        send(config, slack, message, tmp_path)
        send(config, Destination(**{**vars(slack), "include_rows": False}), message, tmp_path)
    assert [r["json"] for r in hook.received] == [message["payload"], {"text": "hello"}]
