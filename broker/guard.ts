/**
 * Connection-level limits aedes does not have: the largest MQTT packet (checked on the fixed
 * header, before the packet is buffered) and new connections per client address per second.
 */
import { Duplex } from 'node:stream';

/**
 * Wraps a socket: bytes flow through unchanged while every MQTT fixed header is read; a packet
 * whose remaining length exceeds `maxBytes` destroys the connection. `onTooBig` is told first.
 */
export class PacketSizeGuard extends Duplex {
  private state: 'header' | 'length' | 'body' = 'header';
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(
    readonly socket: Duplex & { remoteAddress?: string | undefined },
    private readonly maxBytes: number,
    private readonly onTooBig: (size: number) => void,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (!this.scan(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => this.push(null));
    socket.once('error', (err) => this.destroy(err));
    socket.once('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** False (and the connection destroyed) when a packet is too big. */
  private scan(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'header') {
        i++;
        this.state = 'length';
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const b = chunk[i++]!;
        this.remaining += (b & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (this.remaining > this.maxBytes || (this.lengthBytes === 4 && b & 0x80)) {
          this.onTooBig(this.remaining);
          this.socket.destroy();
          this.destroy();
          return false;
        }
        if (!(b & 0x80)) this.state = this.remaining === 0 ? 'header' : 'body';
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'header';
      }
    }
    return true;
  }

  override _read(): void {
    this.socket.resume();
  }

  // Done as soon as the socket took the bytes (it buffers them), waiting only when it is full:
  // writes queued meanwhile (aedes corks this stream for each packet it writes, e.g. a QoS 1
  // PUBACK per message) then reach the socket in one `_writev`, one system call for many packets.
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb();
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb();
    this.socket.cork();
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c.chunk);
    this.socket.uncork();
    if (ok) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

/** Fixed one-second windows per address; cheap and enough against reconnect storms. */
export class ConnectionRate {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perSecond: number) {}

  allow(address: string, now = Date.now()): boolean {
    const w = Math.floor(now / 1000);
    if (w !== this.window) {
      this.window = w;
      this.counts.clear();
    }
    const n = (this.counts.get(address) ?? 0) + 1;
    this.counts.set(address, n);
    return n <= this.perSecond;
  }
}
