/**
 * The fast path of incoming telemetry. mqtt.js takes each received packet through a generic
 * parser (a buffer-list copy, a packet object, a dozen `debug` calls, one tick per packet) and
 * writes each QoS 1 PUBACK on its own: about as much CPU per message as the whole pipeline behind
 * it. `PublishTap` sits between mqtt.js and its socket: PUBLISH packets of QoS 0 and 1 (what device
 * topics are subscribed with) are cut out of the byte stream and handed to `onPublish` at once,
 * and the PUBACKs of one socket read go out in one write, after their messages were handled.
 * Every other packet (CONNACK, SUBACK, PINGRESP, a QoS 2 PUBLISH) passes through to mqtt.js,
 * which still runs the session: connect, subscribe, keepalive, reconnect, disconnect.
 *
 * MQTT 3.1.1 framing (the connector always speaks protocol version 4). Bytes that cannot be framed
 * go to mqtt.js from there on, which reports the protocol error as before.
 */
import { Duplex } from 'node:stream';
import type { MqttClient, StreamBuilder } from 'mqtt';

/**
 * Topic and payload as UTF-8 text (what parsing needs: no Buffer per message). Must not throw: it
 * runs in the socket's data handler.
 */
export type PublishHandler = (topic: string, payload: string) => void;

const PUBLISH = 3;
const PUBACK_BYTE = 0x40;

/**
 * Make `client` (created with `manualConnect: true`) hand QoS 0/1 messages to `onPublish` instead
 * of its `message` event, on every connection it opens. False when this mqtt.js has no stream
 * builder to wrap: its `message` event then serves as before.
 */
export function tapPublishes(client: MqttClient, onPublish: PublishHandler): boolean {
  // mqtt.js keeps the protocol's stream builder in a private field; it is called on each connect.
  const c = client as unknown as { streamBuilder?: unknown };
  if (typeof c.streamBuilder !== 'function') return false;
  const inner = c.streamBuilder as StreamBuilder;
  const wrapped: StreamBuilder = (cl, opts) => new PublishTap(inner(cl, opts) as Duplex, onPublish);
  c.streamBuilder = wrapped;
  return true;
}

/** Bytes a packet that starts with `head` still lacks (a few when its length is not complete yet). */
function missingBytes(head: Buffer): number {
  let remaining = 0;
  let scale = 1;
  for (let i = 1; i < head.length && i <= 4; i++) {
    const b = head[i]!;
    remaining += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return Math.max(1, i + 1 + remaining - head.length);
  }
  return 4;
}

export class PublishTap extends Duplex {
  /** Start of a packet split across socket reads. */
  private pending: Buffer | null = null;
  /** Set once the bytes cannot be framed: all of it goes to mqtt.js. */
  private passthrough = false;
  /** Packet ids of the QoS 1 messages of the current read. */
  private acks: number[] = [];

  constructor(
    private readonly inner: Duplex,
    private readonly onPublish: PublishHandler,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk: Buffer) => this.onData(chunk));
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => {
      // Like a socket: data already read still reaches mqtt.js before `close`.
      if (this.readableLength === 0) this.destroy();
      else {
        this.push(null);
        this.once('end', () => this.destroy());
      }
    });
  }

  private onData(chunk: Buffer): void {
    let rest = chunk;
    // A packet split across reads: join its start with just the bytes it lacks, not the whole read.
    while (this.pending && rest.length > 0) {
      const head = this.pending;
      const take = Math.min(rest.length, missingBytes(head));
      this.pending = null;
      this.scan(Buffer.concat([head, rest.subarray(0, take)]));
      rest = rest.subarray(take);
    }
    if (rest.length > 0) this.scan(rest);
    if (this.acks.length > 0) this.ack();
  }

  /** Handle the whole packets of `buf`; an incomplete last one waits in `pending`. */
  private scan(buf: Buffer): void {
    if (this.passthrough) {
      this.forward(buf);
      return;
    }
    const len = buf.length;
    let pos = 0; // first byte not handled yet
    let passFrom = -1; // start of a run of packets for mqtt.js
    while (pos + 2 <= len) {
      // Fixed header: type and flags, then the remaining length in 1 to 4 bytes of 7 bits.
      let i = pos + 1;
      let remaining = 0;
      let scale = 1;
      let framed = false;
      while (i < len && i - pos <= 4) {
        const b = buf[i++]!;
        remaining += (b & 0x7f) * scale;
        scale *= 128;
        if ((b & 0x80) === 0) {
          framed = true;
          break;
        }
      }
      if (!framed) {
        if (i - pos > 4) this.passthrough = true; // a fifth length byte: not MQTT
        break;
      }
      const end = i + remaining;
      if (end > len) break; // the rest of this packet comes with the next read
      const first = buf[pos]!;
      const qos = (first >> 1) & 3;
      if (first >> 4 === PUBLISH && qos < 2 && remaining >= 2) {
        const topicEnd = i + 2 + buf.readUInt16BE(i);
        const payloadStart = topicEnd + (qos === 1 ? 2 : 0);
        if (payloadStart <= end) {
          if (passFrom >= 0) {
            this.forward(buf.subarray(passFrom, pos));
            passFrom = -1;
          }
          this.onPublish(buf.toString('utf8', i + 2, topicEnd), buf.toString('utf8', payloadStart, end));
          if (qos === 1) this.acks.push(buf.readUInt16BE(topicEnd));
          pos = end;
          continue;
        }
      }
      if (passFrom < 0) passFrom = pos;
      pos = end;
    }
    if (passFrom >= 0) this.forward(buf.subarray(passFrom, pos));
    if (pos < len) {
      if (this.passthrough) this.forward(buf.subarray(pos));
      else this.pending = Buffer.from(buf.subarray(pos)); // a copy: do not pin the whole read
    }
  }

  /** One write for the PUBACKs of a read, in the order the messages came. */
  private ack(): void {
    const ids = this.acks;
    this.acks = [];
    if (this.inner.destroyed || this.inner.writableEnded) return;
    const out = Buffer.allocUnsafe(ids.length * 4);
    for (let k = 0; k < ids.length; k++) {
      out[k * 4] = PUBACK_BYTE;
      out[k * 4 + 1] = 2;
      out.writeUInt16BE(ids[k]!, k * 4 + 2);
    }
    this.inner.write(out);
  }

  private forward(bytes: Buffer): void {
    if (bytes.length > 0 && !this.push(bytes)) this.inner.pause();
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.inner.write(chunk)) done();
    else this.inner.once('drain', () => done());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    this.inner.cork();
    let ok = true;
    for (const c of chunks) ok = this.inner.write(c.chunk);
    this.inner.uncork();
    if (ok) done();
    else this.inner.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    if (!this.inner.destroyed && !this.inner.writableEnded) this.inner.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.inner.destroy();
    done(err);
  }
}
