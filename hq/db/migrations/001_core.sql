-- Estates, the event log and the state head office derives from it. Times are epoch ms (bigint)
-- like everywhere else in the gateway; `seq` columns hold the estate sequence number of the last
-- event applied to a row, so an older event never overwrites a newer state.

CREATE TABLE estates (
  site            text PRIMARY KEY,
  name            text,
  code            text,
  url             text,
  -- Estate time of the newest event, and head-office time it was last heard from (comm state).
  last_event_at   bigint,
  last_heard_at   bigint,
  last_seq        bigint NOT NULL DEFAULT 0,
  -- Highest seq such that every seq 1..watermark is present in `events`.
  watermark       bigint NOT NULL DEFAULT 0,
  -- Since when last_seq > watermark (gap grace period); null when contiguous.
  behind_since    bigint,
  status          jsonb,
  status_seq      bigint NOT NULL DEFAULT 0,
  status_at       bigint
);

CREATE TABLE events (
  id           text PRIMARY KEY,
  site         text NOT NULL,
  seq          bigint NOT NULL,
  type         text NOT NULL,
  schema       integer NOT NULL,
  at           bigint NOT NULL,
  data         jsonb NOT NULL,
  received_at  bigint NOT NULL,
  UNIQUE (site, seq)
);
CREATE INDEX events_type_at ON events (type, at);

CREATE TABLE alarms (
  id             text PRIMARY KEY,
  site           text NOT NULL,
  seq            bigint NOT NULL,
  device         text NOT NULL,
  fault          text NOT NULL,
  severity       text NOT NULL,
  category       text NOT NULL,
  state          text NOT NULL,
  raised_at      bigint NOT NULL,
  cleared_at     bigint,
  work_order_id  text,
  doc            jsonb NOT NULL
);
CREATE INDEX alarms_site_state ON alarms (site, state);

CREATE TABLE orders (
  id            text PRIMARY KEY,
  site          text NOT NULL,
  seq           bigint NOT NULL,
  number        text NOT NULL,
  device        text,
  fault         text NOT NULL,
  category      text NOT NULL,
  priority      text NOT NULL,
  source        text NOT NULL,
  title         text NOT NULL,
  status        text NOT NULL,
  assignee      text,
  fault_at      bigint NOT NULL,
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL,
  respond_by    bigint NOT NULL,
  on_site_by    bigint,
  responded_at  bigint,
  on_site_at    bigint,
  resolved_at   bigint,
  closed_at     bigint,
  due_at        bigint,
  rating        smallint,
  last_action   text,
  doc           jsonb NOT NULL
);
CREATE INDEX orders_site_fault_at ON orders (site, fault_at);
CREATE INDEX orders_open ON orders (site, status) WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX orders_number ON orders (number);

CREATE TABLE ledger (
  order_id     text NOT NULL,
  entry_seq    integer NOT NULL,
  site         text NOT NULL,
  time         bigint NOT NULL,
  doc          jsonb NOT NULL,
  PRIMARY KEY (order_id, entry_seq)
);

CREATE TABLE escalations (
  order_id  text NOT NULL,
  deadline  text NOT NULL,
  site      text NOT NULL,
  number    text NOT NULL,
  due_at    bigint NOT NULL,
  ts        bigint NOT NULL,
  doc       jsonb NOT NULL,
  PRIMARY KEY (order_id, deadline)
);
CREATE INDEX escalations_site_ts ON escalations (site, ts);

CREATE TABLE commands (
  id            uuid PRIMARY KEY,
  site          text NOT NULL,
  kind          text NOT NULL,
  payload       jsonb NOT NULL,
  actor         text NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'refused')),
  reason        text,
  code          text,
  order_id      text,
  order_number  text,
  created_at    bigint NOT NULL,
  published_at  bigint,
  answered_at   bigint
);
CREATE INDEX commands_site_created ON commands (site, created_at);
CREATE INDEX commands_unpublished ON commands (created_at) WHERE published_at IS NULL;

CREATE TABLE gaps (
  site         text NOT NULL,
  from_seq     bigint NOT NULL,
  to_seq       bigint NOT NULL,
  detected_at  bigint NOT NULL,
  closed_at    bigint,
  PRIMARY KEY (site, from_seq)
);
CREATE INDEX gaps_open ON gaps (site) WHERE closed_at IS NULL;

-- Envelopes that were acknowledged but not applied, with the reason: nothing is lost silently.
CREATE TABLE rejected (
  id           bigserial PRIMARY KEY,
  stream       text NOT NULL,
  subject      text NOT NULL,
  msg_id       text,
  site         text,
  reason       text NOT NULL,
  payload      text NOT NULL,
  received_at  bigint NOT NULL
);
