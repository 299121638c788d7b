/**
 * PublishTap on a fake socket: QoS 0/1 PUBLISH packets go to the handler whatever the read
 * boundaries, PUBACKs of a read go out in one write, everything else reaches mqtt.js in order.
 * (The connector tests run it against aedes and mosquitto.)
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { publishPacket } from '../../../tools/mqtt-wire.js';
import { PublishTap } from './tap.js';

class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.written.push(chunk);
    done();
  }
  override _read(): void {}
}

const publish = (topic: string, payload: string, qos: 0 | 1 | 2, id = 0): Buffer => publishPacket(Buffer.from(topic), Buffer.from(payload), qos, id);

const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);

function setup() {
  const socket = new FakeSocket();
  const got: Array<[string, string]> = [];
  const tap = new PublishTap(socket, (topic, payload) => got.push([topic, payload]));
  const passed: Buffer[] = [];
  tap.on('data', (b: Buffer) => passed.push(b));
  return { socket, tap, got, passed };
}

/** Socket data flows from the next tick on. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PublishTap', () => {
  const big = 'x'.repeat(300); // a two-byte remaining length
  const stream = Buffer.concat([
    CONNACK,
    publish('site/a/telemetry', '{"v":1}', 1, 1),
    publish('site/b/telemetry', big, 0),
    PINGRESP,
    publish('site/q2', 'two', 2, 7),
    publish('site/ü/telemetry', '{"v":2}', 1, 65535),
  ]);

  it('hands QoS 0/1 messages to the handler and the rest to mqtt.js, at any read boundary', async () => {
    for (let size = 1; size <= stream.length; size += size < 20 ? 1 : 37) {
      const { socket, got, passed } = setup();
      for (let at = 0; at < stream.length; at += size) socket.push(stream.subarray(at, at + size));
      await settle();
      expect(got).toEqual([['site/a/telemetry', '{"v":1}'], ['site/b/telemetry', big], ['site/ü/telemetry', '{"v":2}']]);
      expect(Buffer.concat(passed)).toEqual(Buffer.concat([CONNACK, PINGRESP, publish('site/q2', 'two', 2, 7)]));
      expect(Buffer.concat(socket.written)).toEqual(Buffer.from([0x40, 2, 0, 1, 0x40, 2, 0xff, 0xff]));
    }
  });

  it('acknowledges the QoS 1 messages of one read in one write', async () => {
    const { socket, got } = setup();
    await settle();
    socket.push(Buffer.concat([publish('t', 'a', 1, 10), publish('t', 'b', 0), publish('t', 'c', 1, 11)]));
    expect(got.map(([, p]) => p)).toEqual(['a', 'b', 'c']);
    expect(socket.written).toEqual([Buffer.from([0x40, 2, 0, 10, 0x40, 2, 0, 11])]);
  });

  it('leaves bytes it cannot frame to mqtt.js', async () => {
    const { socket, got, passed } = setup();
    const junk = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
    socket.push(Buffer.concat([publish('t', 'ok', 0), junk]));
    socket.push(publish('t', 'after', 0));
    await settle();
    expect(got).toEqual([['t', 'ok']]);
    expect(Buffer.concat(passed)).toEqual(Buffer.concat([junk, publish('t', 'after', 0)]));
  });

  it('writes mqtt.js packets to the socket and closes with it', async () => {
    const { socket, tap } = setup();
    tap.write(Buffer.from([0xc0, 0x00]));
    expect(socket.written).toEqual([Buffer.from([0xc0, 0x00])]);
    const closed = new Promise((resolve) => tap.once('close', resolve));
    socket.destroy();
    await closed;
    expect(tap.destroyed).toBe(true);
  });
});
