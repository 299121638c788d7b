/**
 * SLA policies: response deadlines per work-order category. The defaults are the service rules
 * of the seed document; a site config's `sla:` list overrides them category by category.
 */
import type { Category, SlaPolicy } from '../config/schema.js';
import { toMs } from '../config/durations.js';
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
];

export interface Deadlines {
  priority: Priority;
  respondBy: number;
  onSiteBy: number | null;
}

export class SlaBook {
  private readonly byCategory = new Map<Category, SlaPolicy>();

  constructor(overrides: readonly SlaPolicy[]) {
    for (const p of [...DEFAULT_POLICIES, ...overrides]) this.byCategory.set(p.category, p);
  }

  /** Deadlines for a fault of `category` that happened at `faultAt` (the clock starts at fault time). */
  deadlines(category: Category, faultAt: number): Deadlines {
    const p = this.byCategory.get(category) ?? this.byCategory.get('general')!;
    return {
      priority: p.priority,
      respondBy: faultAt + toMs(p.respondWithin),
      onSiteBy: p.onSiteWithin === undefined ? null : faultAt + toMs(p.onSiteWithin),
    };
  }
}
