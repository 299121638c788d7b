/**
 * The one currency of the gateway: every connector turns what it reads into `Reading`s,
 * and everything downstream (pipeline, history, alarms, realtime) consumes only these.
 */
export type Quality = 'good' | 'bad' | 'uncertain';

export type PointValue = number | boolean | string;

export interface Reading {
  /** Device id from the site config. */
  device: string;
  /** Point name from the device's point map. */
  point: string;
  /** Decoded, scaled value; `null` when quality is bad and there is no value. */
  value: PointValue | null;
  quality: Quality;
  /** Source timestamp, epoch milliseconds. */
  ts: number;
  /** Why the quality is not good (exception code, timeout, parse error...). */
  reason?: string;
}

/** Communication state of one device as seen by its connector. */
export type CommStatus = 'online' | 'offline' | 'connecting';
