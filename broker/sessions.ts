/**
 * Persistent sessions that come back while messages keep arriving [MQTT-3.1.2-4].
 *
 * aedes keeps every QoS 1/2 message for a clean = false subscriber in its outgoing queue, online
 * or not, and delivers it live as well. On reconnect it re-subscribes the session first and sends
 * the queue after CONNACK, from a snapshot taken then. Messages published in between went out
 * twice (live, and again from the snapshot); messages acknowledged before the snapshot reached
 * them made it fail with "no such packet" and close the connection; and live messages overtook
 * the stored ones, against [MQTT-4.6.0-6]. A gateway restarted during a burst of faults saw
 * each of these.
 *
 * This in-memory persistence (aedes-persistence's, with its own outgoing queue) sends a session's
 * queue in order, including what is queued while it is being sent, and holds live delivery of
 * queued messages until the queue has been sent once on this connection. `forwardLive` is the
 * broker's authorizeForward check for that; a held message stays queued and goes out from it.
 */
import { Readable } from 'node:stream';
import type { Client } from 'aedes';
import type { Packet as AedesPacket } from 'aedes-persistence';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';

type Queued = AedesPacket & { brokerId: string; brokerCounter: number };

/** The sending of one connection's queue: what it has handed out, and where it stands. */
interface Drain {
  client: Client;
  handedOut: WeakSet<Queued>;
  /** Index of the next queue entry to hand out; handed-out entries are a prefix of the queue. */
  cursor: number;
  done: boolean;
}

/** A queue's own copy: the live packet is shared by every subscriber, and gets its message id per client. */
const queued = (p: AedesPacket): Queued => ({ ...p, messageId: undefined }) as unknown as Queued;

const sameMessage = (a: Queued, b: { brokerId?: string; brokerCounter?: number }) => a.brokerId === b.brokerId && a.brokerCounter === b.brokerCounter;

export class SessionPersistence extends MemoryPersistence {
  /** Client id → its queue, in publish order. */
  private readonly queues = new Map<string, Queued[]>();
  /** Client id → the drain of its current connection. */
  private readonly drains = new Map<string, Drain>();

  private queue(clientId: string): Queued[] {
    let q = this.queues.get(clientId);
    if (!q) this.queues.set(clientId, (q = []));
    return q;
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void> {
    this.queue(sub.clientId).push(queued(packet));
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPacket): Promise<void> {
    for (const sub of subs) this.queue(sub.clientId).push(queued(packet));
  }

  /** As aedes-persistence: the message id given to a queued message, or a PUBREL replacing its PUBLISH. */
  override async outgoingUpdate(client: Client, packet: AedesPacket): Promise<void> {
    const q = this.queue(client.id);
    for (let i = 0; i < q.length; i++) {
      const e = q[i]!;
      if (e.brokerId === packet.brokerId) {
        if (e.brokerCounter === packet.brokerCounter) {
          e.messageId = packet.messageId;
          return;
        }
      } else if (e.messageId === packet.messageId) {
        q[i] = packet as Queued;
        return;
      }
    }
    throw new Error('no such packet');
  }

  /**
   * Removes the acknowledged message. A held live message has no message id yet: aedes asks to
   * clear it when `forwardLive` says no, and it must stay queued.
   */
  override async outgoingClearMessageId(client: Client, packet: AedesPacket): Promise<AedesPacket> {
    if (packet.messageId === undefined) return undefined as unknown as AedesPacket;
    const q = this.queue(client.id);
    for (let i = 0; i < q.length; i++) {
      const e = q[i]!;
      if (e.messageId !== packet.messageId) continue;
      q.splice(i, 1);
      const d = this.drains.get(client.id);
      if (d && i < d.cursor) d.cursor--;
      if (q.length === 0) this.queues.delete(client.id);
      return e;
    }
    return undefined as unknown as AedesPacket;
  }

  /** The queue, read as it grows, until nothing is left to hand out; then live delivery takes over. */
  override outgoingStream(client: Client): Readable {
    const drain: Drain = { client, handedOut: new WeakSet(), cursor: 0, done: false };
    this.drains.set(client.id, drain);
    const queues = this.queues;
    return new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        const q = queues.get(client.id);
        const next = q?.[drain.cursor];
        if (next) {
          drain.cursor++;
          drain.handedOut.add(next);
          this.push(next);
        } else {
          drain.done = true;
          this.push(null);
        }
      },
    });
  }

  /** A live message was queued just before it is delivered: look from the newest end. */
  private findQueued(clientId: string, packet: AedesPacket): Queued | undefined {
    const q = this.queues.get(clientId);
    if (!q) return undefined;
    for (let i = q.length - 1; i >= 0; i--) if (sameMessage(q[i]!, packet)) return q[i];
    return undefined;
  }

  /** Forgets the drain of a connection that closed. */
  closed(client: Client): void {
    if (this.drains.get(client.id)?.client === client) this.drains.delete(client.id);
  }

  /**
   * Whether aedes may deliver `packet` live to `client` (its authorizeForward). A queued message
   * of a persistent session goes out from the queue while the queue is being sent, and never
   * twice. Live packets carry no message id yet; the queue's own sends do.
   */
  forwardLive(client: Client, packet: AedesPacket): boolean {
    if (client.clean || packet.cmd !== 'publish' || packet.qos === 0 || packet.messageId !== undefined) return true;
    const entry = this.findQueued(client.id, packet);
    if (!entry) return true; // not queued for it (a retained message on SUBSCRIBE)
    const drain = this.drains.get(client.id);
    if (!drain || drain.client !== client || !drain.done) return false;
    return !drain.handedOut.has(entry);
  }
}
