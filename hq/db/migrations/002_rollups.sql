-- 1-minute telemetry rollups (min/mean/max/count per point) and their hourly sums.
--
-- rollups: declaratively partitioned by day on `minute` (epoch ms); a day's partition is created
-- on first write (hq/ingest/partitions.ts) and retention is DROP TABLE of old partitions, which
-- costs nothing compared with DELETE. The primary key makes a replayed minute a no-op; the
-- (equipment, point, minute) index serves cross-estate trend queries at 1-minute steps.
--
-- rollups_hourly: the same numbers per hour (sum instead of mean, so hours add up exactly),
-- grown in the same transaction from the minute rows that were actually inserted. Trend queries
-- at 1 h and 1 d steps over 7–30 days read ~60x fewer rows. Partitioned by month.

CREATE TABLE rollups (
  site       text NOT NULL,
  device     text NOT NULL,
  point      text NOT NULL,
  minute     bigint NOT NULL,
  equipment  text NOT NULL,
  min        double precision NOT NULL,
  mean       double precision NOT NULL,
  max        double precision NOT NULL,
  count      integer NOT NULL,
  PRIMARY KEY (site, device, point, minute)
) PARTITION BY RANGE (minute);
CREATE INDEX rollups_trend ON rollups (equipment, point, minute);

CREATE TABLE rollups_hourly (
  site       text NOT NULL,
  device     text NOT NULL,
  point      text NOT NULL,
  hour       bigint NOT NULL,
  equipment  text NOT NULL,
  min        double precision NOT NULL,
  sum        double precision NOT NULL,
  max        double precision NOT NULL,
  count      bigint NOT NULL,
  PRIMARY KEY (site, device, point, hour)
) PARTITION BY RANGE (hour);
CREATE INDEX rollups_hourly_trend ON rollups_hourly (equipment, point, hour);
