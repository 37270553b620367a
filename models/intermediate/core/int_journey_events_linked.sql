-- Every journey event of a source record the crosswalk links to a customer: what happened,
-- when, in which record, with the record's customer and person. Expansion and contraction
-- are subscription changes that raise or lower the subscription's MRR; churned is a
-- subscription's cancellation.
-- event_record_id is a function of (source_record_id, event_type, event_at), which lets
-- fct_customer_journey fingerprint a customer's events from its own columns.
-- A view: fct_customer_journey, its only reader, reads it once per build (a nightly reads
-- the events of the customers it rebuilds from journey_events_linked directly).
{{ config(materialized='view') }}

{{ journey_events_linked() }}
