-- The equipment type of an alarm's or order's device (`pump`, `water_tank`, …), as the estate's
-- config names it (gateway/storage/outbox.ts): head office names a fault as the device's own type
-- does. NULL for an order with no device, a system alarm, or an event from a gateway that does not
-- send the type yet; a later event without it never erases a known one (hq/ingest/state.ts).

ALTER TABLE alarms ADD COLUMN equipment text;
ALTER TABLE orders ADD COLUMN equipment text;
