/**
 * One full garbage collection, run once the gateway is built.
 *
 * Building the gateway allocates far more than it keeps: the YAML parser alone allocates ~700 MB
 * for a 1,000-device site config, and its syntax tree lives long enough to be promoted to the old
 * generation. V8 only collects the old generation when it reaches its first limit, which can take
 * many seconds of live traffic; until then that garbage (~90 MB for such a site) sits in the
 * resident set on top of the running gateway. Collecting it right after start-up returns those
 * pages at once and sizes the next limit from what the gateway actually keeps. It costs one full
 * collection (tens of ms) at start.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = () => void;

function gcFunction(): Gc {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === 'function') return exposed;
  // `--expose-gc` set at run time applies to contexts created afterwards: take `gc` from a fresh
  // one, then turn the flag off again so nothing else gets it.
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as Gc;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export function collectStartupGarbage(): void {
  gcFunction()();
}
