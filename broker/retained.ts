/**
 * Retained messages per account (README.md, limits): at most `maxCount` retained topics and
 * `maxBytes` of their payloads. A retained publish with an empty payload deletes (MQTT 3.1.1
 * §3.3.1.3) and frees its share. Beyond the quota the broker passes the message on without its
 * retain flag, so live data still flows but the broker's memory does not grow.
 */
export class RetainedQuota {
  private readonly byAccount = new Map<string, { topics: Map<string, number>; bytes: number }>();

  constructor(private readonly maxCount: number, private readonly maxBytes: number) {}

  /** True when the message may be retained (and is then counted). */
  accept(account: string, topic: string, bytes: number): boolean {
    let a = this.byAccount.get(account);
    if (!a) this.byAccount.set(account, (a = { topics: new Map(), bytes: 0 }));
    const before = a.topics.get(topic);
    if (bytes === 0) {
      if (before !== undefined) {
        a.topics.delete(topic);
        a.bytes -= before;
      }
      return true;
    }
    const count = a.topics.size + (before === undefined ? 1 : 0);
    const total = a.bytes - (before ?? 0) + bytes;
    if (count > this.maxCount || total > this.maxBytes) return false;
    a.topics.set(topic, bytes);
    a.bytes = total;
    return true;
  }
}
