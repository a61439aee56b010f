import { chromium, type Browser } from 'playwright-core';
import { findBinary } from './binaries.js';

/**
 * Launches Debian's Chromium headless through playwright-core. The flags keep it
 * off the network: this machine's closed network refuses its background calls.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath =
    process.env.CHROMIUM_PATH ?? findBinary(['chromium', 'chromium-browser'], 'chromium');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-gpu',
      '--no-first-run',
    ],
  });
}
