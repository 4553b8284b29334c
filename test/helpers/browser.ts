/**
 * Debian's Chromium driven by playwright-core (no browser download: .ci/run installs the `chromium` package).
 * The flags keep it from reaching for Google's hosts, which this machine's closed network refuses; playwright
 * gives each launch a fresh empty profile of its own.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: run .ci/run once (it installs Debian's chromium), or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Puts a test app on a real port of 127.0.0.1 for the browser, and makes its links (PUBLIC_URL's default) name
 * that port, as the app does when it listens itself. Returns the close.
 */
export async function listenForBrowser(app: { http: { listen: (port: number, host: string, cb: () => void) => Server }; context: { services: { publicUrl: string } } }): Promise<() => Promise<void>> {
  const server = await new Promise<Server>((resolve) => { const s = app.http.listen(0, '127.0.0.1', () => resolve(s)); });
  app.context.services.publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
