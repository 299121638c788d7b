/**
 * One persistent session's queue of QoS 1/2 messages, in publish order (used by sessions.ts).
 * Acknowledged messages are dropped from the front by moving `head`, and messages are found by
 * key, so a long queue costs the same per message as a short one.
 */
import type { Packet as AedesPacket } from 'aedes-persistence';

export type Queued = AedesPacket & { brokerId: string; brokerCounter: number };

/** The key aedes' dedupe uses too: which broker numbered the message, and its number there. */
export const messageKey = (p: { brokerId?: string; brokerCounter?: number }) => `${p.brokerId}:${p.brokerCounter}`;

/** One place in a session's queue: a message, or the PUBREL that replaced it after PUBREC. */
export interface Slot {
  packet: Queued;
  /** Acknowledged (PUBACK / PUBCOMP) or discarded: skipped, and dropped from the front. */
  gone: boolean;
}

export class SessionQueue {
  slots: Slot[] = [];
  head = 0;
  /** Slots not yet acknowledged. */
  size = 0;
  /** Keys of messages dropped while the session is connected: their live delivery is refused too. */
  readonly dropped = new Set<string>();
  /** brokerId:brokerCounter → slot: finds a message when aedes gives it its packet id. */
  readonly byMessage = new Map<string, Slot>();
  /** Packet id → slots holding it, oldest first: finds a message when it is acknowledged. */
  readonly byPacketId = new Map<number, Slot[]>();

  push(packet: Queued): void {
    const slot = { packet, gone: false };
    this.slots.push(slot);
    this.size++;
    this.byMessage.set(messageKey(packet), slot);
  }

  /** Files the slot under its packet's key; a PUBREL made by aedes from a PUBREC has no brokerId, so none. */
  keyed(slot: Slot): void {
    if (slot.packet.brokerId !== undefined) this.byMessage.set(messageKey(slot.packet), slot);
  }

  setPacketId(slot: Slot, id: number | undefined): void {
    const old = slot.packet.messageId;
    if (old === id) return;
    if (old !== undefined) this.unlistId(slot, old);
    slot.packet.messageId = id;
    if (id !== undefined) {
      const list = this.byPacketId.get(id);
      if (list) list.push(slot);
      else this.byPacketId.set(id, [slot]);
    }
  }

  private unlistId(slot: Slot, id: number): void {
    const list = this.byPacketId.get(id);
    if (!list) return;
    const i = list.indexOf(slot);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPacketId.delete(id);
  }

  /** The oldest slot still waiting for an acknowledgement of this packet id. */
  withPacketId(id: number): Slot | undefined {
    return this.byPacketId.get(id)?.[0];
  }

  remove(slot: Slot): void {
    slot.gone = true;
    this.size--;
    if (this.byMessage.get(messageKey(slot.packet)) === slot) this.byMessage.delete(messageKey(slot.packet));
    if (slot.packet.messageId !== undefined) this.unlistId(slot, slot.packet.messageId);
    while (this.head < this.slots.length && this.slots[this.head]!.gone) this.head++;
  }

  get empty(): boolean {
    return this.head === this.slots.length;
  }

  /** Drops the acknowledged front once it is most of the array; returns how far indexes moved. */
  compact(): number {
    if (this.head < 1024 || this.head * 2 < this.slots.length) return 0;
    const moved = this.head;
    this.slots = this.slots.slice(moved);
    this.head = 0;
    return moved;
  }
}
