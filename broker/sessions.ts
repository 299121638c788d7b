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
 * The queue ends only once everything handed out has reached aedes' send, so the first live
 * message cannot overtake stored ones still in the stream's buffers. Messages are found by key,
 * not by searching the queue: a subscriber that falls 60,000 messages behind is served as fast as
 * one that keeps up (aedes-persistence's search made each message cost the length of the queue).
 */
import { Readable } from 'node:stream';
import type { Client } from 'aedes';
import type { Packet as AedesPacket } from 'aedes-persistence';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { messageKey, SessionQueue, type Queued, type Slot } from './session-queue.js';

/** The sending of one connection's queue: what it has handed out, and where it stands. */
interface Drain {
  client: Client;
  handedOut: WeakSet<Slot>;
  /** Handed out, but not yet given its packet id by aedes (still in the stream's buffers). */
  inFlight: Set<Slot>;
  /** Index into the queue's slots of the next one to hand out. */
  cursor: number;
  /** The stream asked for more while handed-out messages were still buffered. */
  waiting: boolean;
  /** Hands out the next slot, or ends the stream; run when the stream asks and when `waiting` clears. */
  pump: () => void;
  done: boolean;
}

/** A queue's own copy: the live packet is shared by every subscriber, and gets its message id per client. */
const queued = (p: AedesPacket): Queued => ({ ...p, messageId: undefined }) as unknown as Queued;

export class SessionPersistence extends MemoryPersistence {
  /**
   * @param maxQueued messages kept per session; newer ones are dropped for it (a subscriber that
   *   never comes back or never acknowledges would otherwise fill the broker's memory)
   * @param onDrop told of each message dropped
   */
  constructor(
    private readonly maxQueued: number,
    private readonly onDrop: (clientId: string, topic: string) => void,
  ) {
    super();
  }

  /** Client id → its queue. */
  private readonly queues = new Map<string, SessionQueue>();
  /** Persistent sessions between restoring their subscriptions and sending their queue. */
  private readonly joining = new Set<string>();
  /** Client id → the drain of its current connection. */
  private readonly drains = new Map<string, Drain>();

  private queue(clientId: string): SessionQueue {
    let q = this.queues.get(clientId);
    if (!q) this.queues.set(clientId, (q = new SessionQueue()));
    return q;
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void> {
    this.enqueue(sub.clientId, packet);
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPacket): Promise<void> {
    for (const sub of subs) this.enqueue(sub.clientId, packet);
  }

  private enqueue(clientId: string, packet: AedesPacket): void {
    const q = this.queue(clientId);
    if (q.size < this.maxQueued) return q.push(queued(packet));
    // Connected: `forwardLive` is asked about this message next, and must refuse it. Keys it was
    // never asked about (a connection that failed while joining) are not kept without end.
    if (this.drains.has(clientId) || this.joining.has(clientId)) {
      if (q.dropped.size >= 10_000) q.dropped.clear();
      q.dropped.add(messageKey(packet));
    }
    this.onDrop(clientId, (packet as { topic?: string }).topic ?? '');
  }

  /**
   * As aedes-persistence: the packet id given to a queued message, or a PUBREL replacing its
   * PUBLISH, found by packet id (a PUBREL made from a PUBREC has no brokerId; one resent from the
   * queue carries a new one). A repeated PUBREC replaces the PUBREL with itself.
   */
  override async outgoingUpdate(client: Client, packet: AedesPacket): Promise<void> {
    const q = this.queues.get(client.id);
    let slot = packet.brokerId === undefined ? undefined : q?.byMessage.get(messageKey(packet));
    if (q && slot) {
      q.setPacketId(slot, packet.messageId);
    } else {
      slot = packet.messageId === undefined ? undefined : q?.withPacketId(packet.messageId);
      if (!q || !slot || packet.cmd !== 'pubrel') throw new Error('no such packet');
      if (q.byMessage.get(messageKey(slot.packet)) === slot) q.byMessage.delete(messageKey(slot.packet));
      slot.packet = packet as Queued;
      q.keyed(slot);
    }
    this.sentFromQueue(client, slot);
  }

  /** A handed-out slot reached aedes' send: once none is buffered any more, the drain may end. */
  private sentFromQueue(client: Client, slot: Slot): void {
    const d = this.drains.get(client.id);
    if (!d || d.client !== client || !d.inFlight.delete(slot)) return;
    if (d.waiting && d.inFlight.size === 0) {
      d.waiting = false;
      d.pump();
    }
  }

  /**
   * Removes the acknowledged message. A held live message has no message id yet: aedes asks to
   * clear it when `forwardLive` says no, and it must stay queued.
   */
  override async outgoingClearMessageId(client: Client, packet: AedesPacket): Promise<AedesPacket> {
    const q = this.queues.get(client.id);
    const slot = packet.messageId === undefined ? undefined : q?.withPacketId(packet.messageId);
    if (!q || !slot) return undefined as unknown as AedesPacket;
    q.remove(slot);
    const d = this.drains.get(client.id);
    if (q.empty && q.dropped.size === 0) {
      this.queues.delete(client.id);
      if (d) d.cursor = 0;
    } else {
      const moved = q.compact();
      if (d) d.cursor = Math.max(0, d.cursor - moved);
    }
    return slot.packet;
  }

  /** aedes reads a persistent session's subscriptions when it reconnects, and restores them next. */
  override async subscriptionsByClient(client: Client): ReturnType<MemoryPersistence['subscriptionsByClient']> {
    this.joining.add(client.id);
    return super.subscriptionsByClient(client);
  }

  /** The queue, read as it grows, until nothing is left to hand out; then live delivery takes over. */
  override outgoingStream(client: Client): Readable {
    this.joining.delete(client.id);
    const queues = this.queues;
    const stream = new Readable({ objectMode: true, highWaterMark: 1, read: () => drain.pump() });
    const drain: Drain = {
      client,
      handedOut: new WeakSet(),
      inFlight: new Set(),
      cursor: 0,
      waiting: false,
      done: false,
      pump() {
        const q = queues.get(client.id);
        let next: Slot | undefined;
        if (q) {
          drain.cursor = Math.max(drain.cursor, q.head);
          while (drain.cursor < q.slots.length && q.slots[drain.cursor]!.gone) drain.cursor++;
          next = q.slots[drain.cursor];
        }
        if (next) {
          drain.cursor++;
          drain.handedOut.add(next);
          drain.inFlight.add(next);
          stream.push(next.packet);
        } else if (drain.inFlight.size > 0) {
          // Live delivery waits until what was handed out has been sent, or it would overtake it.
          drain.waiting = true;
        } else {
          drain.done = true;
          stream.push(null);
        }
      },
    };
    this.drains.set(client.id, drain);
    return stream;
  }

  /** Forgets the drain of a connection that closed. */
  closed(client: Client): void {
    if (this.drains.get(client.id)?.client !== client) return;
    this.drains.delete(client.id);
    this.queues.get(client.id)?.dropped.clear();
  }

  /**
   * Whether aedes may deliver `packet` live to `client` (its authorizeForward). A queued message
   * of a persistent session goes out from the queue while the queue is being sent, and never
   * twice. Live packets carry no message id yet; the queue's own sends do.
   */
  forwardLive(client: Client, packet: AedesPacket): boolean {
    if (client.clean || packet.cmd !== 'publish' || packet.qos === 0 || packet.messageId !== undefined) return true;
    const q = this.queues.get(client.id);
    const key = messageKey(packet);
    const slot = q?.byMessage.get(key);
    if (!slot) return !q?.dropped.delete(key); // dropped (queue full), or not queued for it (a retained message on SUBSCRIBE)
    const drain = this.drains.get(client.id);
    if (!drain || drain.client !== client || !drain.done) return false;
    return !drain.handedOut.has(slot);
  }
}
