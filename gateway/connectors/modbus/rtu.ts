/**
 * Timing of a Modbus RTU serial line (Modbus over Serial Line spec V1.02, §2.5.1.1): how long one
 * character takes, the 3.5-character silence that ends a frame, and how many polls a line can
 * carry at best. Pure arithmetic, shared by the link (gaps between frames) and the benchmark.
 */

export const PARITIES = ['none', 'even', 'odd'] as const;
export type Parity = (typeof PARITIES)[number];

/** How characters go over the wire: baud rate and 8-bit character format. */
export interface LineFormat {
  baudRate: number;
  parity: Parity;
  dataBits: number;
  stopBits: 1 | 2;
}

/** Bits on the wire per character: start + data + parity + stop (11 for 8E1 and 8N2, 10 for 8N1). */
export function bitsPerChar(f: LineFormat): number {
  return 1 + f.dataBits + (f.parity === 'none' ? 0 : 1) + f.stopBits;
}

/** Milliseconds one character takes on the line. */
export function charTimeMs(f: LineFormat): number {
  return (bitsPerChar(f) * 1000) / f.baudRate;
}

/**
 * The silent interval between two frames: 3.5 character times, but a fixed 1.75 ms above
 * 19,200 baud (the spec's fixed value, so fast lines do not depend on sub-millisecond timers).
 */
export function silentIntervalMs(f: LineFormat): number {
  return f.baudRate > 19_200 ? 1.75 : 3.5 * charTimeMs(f);
}

/** Bytes of an FC3/FC4 read of `registers` registers: request 8, response 5 + 2N (both with CRC). */
export function readFrameBytes(registers: number): { request: number; response: number } {
  return { request: 8, response: 5 + 2 * registers };
}

/**
 * Best possible poll rate of one line for reads of `registers` registers, one request per poll:
 * request + silence + the device's turnaround + response + silence, nothing else on the line.
 */
export function maxPollsPerSecond(f: LineFormat, registers: number, turnaroundMs = 0): number {
  const { request, response } = readFrameBytes(registers);
  const cycle = (request + response) * charTimeMs(f) + 2 * silentIntervalMs(f) + turnaroundMs;
  return 1000 / cycle;
}
