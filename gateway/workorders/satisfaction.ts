/**
 * Owner satisfaction (seed 2.3 feedback after completion, seed 5.2 assessment): over the owners'
 * requests (source `manual`) with fault time in the period that are closed, the share rated by
 * the owner and their mean rating (1–5), site-wide and per category. A request closed by the
 * system for want of feedback counts as closed and unrated.
 */
import type { WorkOrder } from '../core/model.js';

export interface SatisfactionFigures {
  /** Owners' requests closed. */
  closed: number;
  /** Of those, rated by the owner. */
  rated: number;
  /** rated / closed; null when none closed. */
  ratedShare: number | null;
  /** Mean rating 1–5; null when none rated. */
  meanRating: number | null;
}

export interface Satisfaction extends SatisfactionFigures {
  byCategory: Record<string, SatisfactionFigures>;
}

function figures(orders: readonly WorkOrder[]): SatisfactionFigures {
  const rated = orders.filter((o) => o.feedback);
  return {
    closed: orders.length,
    rated: rated.length,
    ratedShare: orders.length ? rated.length / orders.length : null,
    meanRating: rated.length ? rated.reduce((s, o) => s + o.feedback!.rating, 0) / rated.length : null,
  };
}

export function satisfactionOf(inPeriod: readonly WorkOrder[]): Satisfaction {
  const closed = inPeriod.filter((o) => o.source === 'manual' && o.status === 'closed');
  const byCategory: Record<string, SatisfactionFigures> = {};
  for (const cat of new Set(closed.map((o) => o.category))) byCategory[cat] = figures(closed.filter((o) => o.category === cat));
  return { ...figures(closed), byCategory };
}
