/**
 * Debian's Chromium driven by playwright-core (no browser download: .ci/run installs the `chromium` package).
 * The flags keep it from reaching for Google's hosts, which this machine's closed network refuses; playwright
 * gives each launch a fresh empty profile of its own.
 */
import fs from 'node:fs';
import { chromium, Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: run .ci/run once (it installs Debian's chromium), or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
