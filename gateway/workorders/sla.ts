/**
 * SLA policies: response deadlines per work-order category. The defaults are the service rules
 * of the seed document; a site config's `sla:` list overrides them category by category.
 */
import type { Category, SlaPolicy } from '../config/schema.js';
import { toMs } from '../core/durations.js';
import type { Priority } from '../core/model.js';

export const DEFAULT_POLICIES: readonly SlaPolicy[] = [
  // seed 2.1: every request gets an initial response within 24 h
  { category: 'general', respondWithin: '24h', priority: 'normal' },
  // seed 2.1: water and electricity faults are answered within 1 h
  { category: 'water', respondWithin: '1h', priority: 'urgent' },
  { category: 'power', respondWithin: '1h', priority: 'urgent' },
  // seed 2.1: elevator faults have staff on site within 2 h
  { category: 'elevator', respondWithin: '24h', onSiteWithin: '2h', priority: 'urgent' },
  // seed 3.3 (safety and emergency management): fire alarms are emergencies
  { category: 'fire', respondWithin: '5m', onSiteWithin: '30m', priority: 'emergency' },
  // docs/design.md §9: predicted failures are planned work, not emergencies. A prediction order is due
  // before the forecast crossing (its `dueAt`, which is also its response deadline); this week is
  // only the fallback of an order raised without a due date.
  { category: 'predictive', respondWithin: '7d', priority: 'normal' },
  // docs/design.md §1: fire alarms and trapped passengers are emergencies with tighter defaults. Rules
  // with `priority: emergency` (elevator.trapped-passenger) get these deadlines in their own category.
  { category: 'emergency', respondWithin: '5m', onSiteWithin: '30m', priority: 'emergency' },
];

export interface Deadlines {
  priority: Priority;
  respondBy: number;
  onSiteBy: number | null;
}

export class SlaBook {
  private readonly byCategory = new Map<SlaPolicy['category'], SlaPolicy>();

  constructor(overrides: readonly SlaPolicy[]) {
    for (const p of [...DEFAULT_POLICIES, ...overrides]) this.byCategory.set(p.category, p);
  }

  /**
   * Deadlines for a fault of `category` that happened at `faultAt` (the clock starts at fault time,
   * seed 2.1). A `priority` override of `emergency` takes the tighter of the category's deadlines
   * and the `emergency` policy's.
   */
  deadlines(category: Category, faultAt: number, priority?: Priority): Deadlines {
    const p = this.byCategory.get(category) ?? this.byCategory.get('general')!;
    let respondMs = toMs(p.respondWithin);
    let onSiteMs = p.onSiteWithin === undefined ? null : toMs(p.onSiteWithin);
    if (priority === 'emergency' && p.priority !== 'emergency') {
      const e = this.byCategory.get('emergency')!;
      respondMs = Math.min(respondMs, toMs(e.respondWithin));
      if (e.onSiteWithin !== undefined) onSiteMs = Math.min(onSiteMs ?? Infinity, toMs(e.onSiteWithin));
    }
    return {
      priority: priority ?? p.priority,
      respondBy: faultAt + respondMs,
      onSiteBy: onSiteMs === null ? null : faultAt + onSiteMs,
    };
  }
}
