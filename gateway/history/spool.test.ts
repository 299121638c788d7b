import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool, MemorySpool } from './spool.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `m f=${from + i} ${from + i}`);

describe('DiskSpool', () => {
  it('replays in order in chunks, resumes from the cursor after a reopen, deletes replayed segments', () => {
    const dir = tmp();
    const a = new DiskSpool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
    for (let i = 0; i < 10; i++) a.append(lines(i * 100, 100));
    expect(a.points).toBe(1000);
    const c1 = a.peek(150)!;
    expect(c1.lines).toBe(150);
    expect(c1.body.split('\n')[0]).toBe('m f=0 0');
    a.ack(c1);
    a.ack(c1); // a second ack of the same chunk is ignored
    expect(a.points).toBe(850);
    a.close();

    const b = new DiskSpool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
    expect(b.points).toBe(850);
    const seen: string[] = [];
    for (let c = b.peek(333); c; c = b.peek(333)) {
      seen.push(...c.body.split('\n'));
      b.ack(c);
    }
    expect(seen).toEqual(lines(150, 850));
    expect(b.points).toBe(0);
    expect(b.bytes).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lp'))).toEqual([]);
    b.append(lines(5000, 1)); // keeps working after draining
    expect(b.peek(10)!.body).toBe('m f=5000 5000');
    b.close();
  });

  it('drops whole oldest segments beyond maxBytes and reports how many points', () => {
    const s = new DiskSpool({ dir: tmp(), maxBytes: 32 * 1024 });
    let dropped = 0;
    for (let i = 0; i < 100; i++) dropped += s.append(lines(i * 50, 50));
    expect(s.bytes).toBeLessThanOrEqual(32 * 1024);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + s.points).toBe(5000);
    // What is left is the newest data, in order.
    const first = s.peek(1)!.body;
    expect(Number(first.split(' ')[2])).toBe(5000 - s.points);
    s.close();
  });
});

describe('MemorySpool', () => {
  it('behaves like the disk spool without a folder', () => {
    const s = new MemorySpool(10 * 1024);
    let dropped = 0;
    for (let i = 0; i < 20; i++) dropped += s.append(lines(i * 50, 50));
    expect(dropped + s.points).toBe(1000);
    const c = s.peek(30)!;
    s.ack(c);
    expect(s.points).toBe(1000 - dropped - 30);
  });
});
