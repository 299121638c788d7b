/**
 * The few MQTT 3.1.1 packets written by hand: the bench publisher pre-encodes its load with them
 * (feeding the contenders costs it almost nothing), and the receive fast path's tests build byte
 * streams from them. Clauses cite OASIS MQTT 3.1.1.
 */

/** Remaining Length, variable byte integer [MQTT-2.2.3]. */
export function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** CONNECT with a clean session and no keep-alive [MQTT-3.1]. */
export function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x00]);
  const body = Buffer.concat([variable, Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  return Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body]);
}

/** PUBLISH of `payload` to `topic`; QoS 1 and 2 carry `packetId` (1..65535) [MQTT-3.3]. */
export function publishPacket(topic: Buffer, payload: Buffer, qos: 0 | 1 | 2, packetId: number): Buffer {
  const len = 2 + topic.length + (qos ? 2 : 0) + payload.length;
  const head = remainingLength(len);
  const buf = Buffer.allocUnsafe(1 + head.length + len);
  let o = 0;
  buf[o++] = 0x30 | (qos << 1);
  for (const b of head) buf[o++] = b;
  buf.writeUInt16BE(topic.length, o);
  o += 2;
  o += topic.copy(buf, o);
  if (qos) {
    buf.writeUInt16BE(packetId, o);
    o += 2;
  }
  payload.copy(buf, o);
  return buf;
}

/**
 * Splits the broker's byte stream into packets and reports their types (CONNACK = 2, PUBACK = 4).
 * Keeps a partial packet across chunks.
 */
export class PacketReader {
  private rest: Buffer = Buffer.alloc(0);

  constructor(private readonly onPacket: (type: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    for (;;) {
      if (buf.length < 2) break;
      let len = 0;
      let mult = 1;
      let i = 1;
      let complete = false;
      for (; i < 5 && i < buf.length; i++) {
        len += (buf[i]! & 0x7f) * mult;
        mult *= 128;
        if ((buf[i]! & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || buf.length < i + 1 + len) break;
      this.onPacket(buf[0]! >> 4, buf.subarray(i + 1, i + 1 + len));
      buf = buf.subarray(i + 1 + len);
    }
    this.rest = Buffer.from(buf);
  }
}
