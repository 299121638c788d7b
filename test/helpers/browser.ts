/**
 * Debian's Chromium for the browser tests, driven by playwright-core (no browser download). The
 * flags keep it off the network it has no business with: background networking, component
 * updates, sync and QUIC are refused by this kind of machine and would only add noise.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
