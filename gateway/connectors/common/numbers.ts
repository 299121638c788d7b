/** Number helpers shared by the decoders. */

/**
 * The shortest decimal that still maps to the same float32, so 230.1 reads as 230.1 and not
 * 230.10000610351562. The value is unchanged as far as the device's precision goes.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 6; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}
