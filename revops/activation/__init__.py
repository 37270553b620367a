"""Activation: after each publish, the playbook lists become CRM import files of what changed,
KPI rules become alerts, and both go to the configured webhooks and mailboxes.

config.py reads activation.yml; playbook_lists.py reads the lists from the serving file;
changes.py compares them with what was sent; crm_files.py writes the Salesforce and HubSpot
layouts; alerts.py evaluates the KPI rules; messages.py words what is sent; outbox.py keeps
the folder (state, queue, dead letters, log); senders.py speaks HTTP and SMTP; delivery.py
retries and dead-letters; run.py ties one publish's activation together.
"""
