/**
 * Who may do what on the broker. Pure functions, so the rules are tested without sockets.
 *
 *  - `device` account for device D of type T on site S: publishes only topics under
 *    `site/S/T/D/` (telemetry, status, its will), subscribes only to `site/S/T/D/command`.
 *  - `gateway` account: subscribes to any filter, publishes any topic (commands, event bridge).
 *  - anonymous (only when `allowAnonymous: true`): everything.
 */
import type { BrokerUser } from '../gateway/config/broker.js';

export interface Principal {
  username: string | null;
  role: 'device' | 'gateway' | 'anonymous';
  /** Topic levels a device owns: ['site', S, T, D]; T is '+' when the type is unknown. */
  own?: string[];
  /** `site/S/T/D/` when the type is known: a publish is then one prefix test, no split per message. */
  ownPrefix?: string;
}

export function principalFor(user: BrokerUser, site: string, deviceTypes: Record<string, string>): Principal {
  if (user.role === 'gateway') return { username: user.username, role: 'gateway' };
  const device = user.device ?? user.username;
  const own = ['site', site, deviceTypes[device] ?? '+', device];
  return { username: user.username, role: 'device', own, ...(own.includes('+') ? {} : { ownPrefix: `${own.join('/')}/` }) };
}

function underOwn(own: string[], levels: string[]): boolean {
  if (levels.length <= own.length) return false;
  return own.every((o, i) => o === '+' || o === levels[i]);
}

export function mayPublish(p: Principal, topic: string): boolean {
  if (topic.startsWith('$')) return false;
  if (p.role === 'anonymous' || p.role === 'gateway') return true;
  // Same rule as underOwn (at least one level below the device's own), without splitting the topic.
  if (p.ownPrefix !== undefined) return topic.startsWith(p.ownPrefix);
  return underOwn(p.own!, topic.split('/'));
}

export function maySubscribe(p: Principal, filter: string): boolean {
  if (p.role === 'anonymous' || p.role === 'gateway') return true;
  const levels = filter.split('/');
  return levels.length === p.own!.length + 1 && levels[levels.length - 1] === 'command' && underOwn(p.own!, levels);
}
