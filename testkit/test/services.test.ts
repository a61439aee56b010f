import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertPortFree,
  freePort,
  isAlive,
  launchChromium,
  startAlertmanager,
  startPostgres,
  startPrometheus,
} from '../src/index.js';

/** Pids of chromium processes that are children of this test process. */
async function chromiumPids(): Promise<number[]> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve) =>
    execFile('pgrep', ['-P', String(process.pid), 'chromium'], (_e, stdout) => resolve(stdout)),
  );
  return out.split('\n').filter(Boolean).map(Number);
}

async function tempFile(name: string, text: string): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'whodunit-testkit-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return { file, dir };
}

describe('testkit starts real services and always stops them', () => {
  it('PostgreSQL answers queries, runs init, and leaves no process behind', async () => {
    let initUrl = '';
    const pg = await startPostgres({ init: async (url) => void (initUrl = url) });
    const pid = pg.process.child.pid!;
    try {
      expect(initUrl).toBe(pg.url);
      const { rows } = await pg.query<{ version: string }>('select version()');
      expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
      expect(isAlive(pid)).toBe(true);
    } finally {
      await pg.stop();
    }
    expect(isAlive(pid)).toBe(false);
  });

  it('PostgreSQL stops itself when init fails, and reports the init error', async () => {
    await expect(
      startPostgres({
        init: async () => {
          throw new Error('migration 001 failed');
        },
      }),
    ).rejects.toThrow('migration 001 failed');
  });

  it('Prometheus and Alertmanager start from a config file with addresses rewritten', async () => {
    const amPort = await freePort();
    const am = await tempFile(
      'alertmanager.yml',
      'route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n',
    );
    const prom = await tempFile(
      'prometheus.yml',
      'global:\n  scrape_interval: 1s\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["alertmanager:9093"]\n',
    );
    const alertmanager = await startAlertmanager({ configFile: am.file, port: amPort });
    const prometheus = await startPrometheus({
      configFile: prom.file,
      replacements: { 'alertmanager:9093': `127.0.0.1:${amPort}` },
    });
    const pids = [alertmanager.process.child.pid!, prometheus.process.child.pid!];
    try {
      const status = (await fetch(`${alertmanager.url}/api/v2/status`).then((r) => r.json())) as {
        cluster: { status: string };
      };
      expect(status.cluster.status).toBe('disabled');
      // Prometheus discovers the rewritten Alertmanager address within a few evaluation cycles.
      let active: { url: string }[] = [];
      for (let i = 0; i < 100 && active.length === 0; i++) {
        const body = (await fetch(`${prometheus.url}/api/v1/alertmanagers`).then((r) => r.json())) as {
          data: { activeAlertmanagers: { url: string }[] };
        };
        active = body.data.activeAlertmanagers;
        if (active.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(active[0]?.url).toContain(`127.0.0.1:${amPort}`);
    } finally {
      await prometheus.stop();
      await alertmanager.stop();
      await rm(am.dir, { recursive: true, force: true });
      await rm(prom.dir, { recursive: true, force: true });
    }
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  it('names the port when it is already in use', async () => {
    const port = await freePort();
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      await expect(assertPortFree(port, 'Prometheus')).rejects.toThrow(
        `Prometheus: port 127.0.0.1:${port} is already in use`,
      );
    } finally {
      blocker.close();
    }
  });

  it('names the missing binary and the Debian package to install', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const { findBinary } = await import('../src/binaries.js');
      expect(() => findBinary(['promtool'], 'prometheus')).toThrow(
        /promtool not found on PATH: install the Debian package prometheus/,
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it('Chromium renders a page headless', async () => {
    const pids = () => chromiumPids();
    const before = new Set(await pids());
    const browser = await launchChromium();
    const started = (await pids()).filter((pid) => !before.has(pid));
    expect(started.length).toBeGreaterThan(0);
    try {
      const page = await browser.newPage();
      await page.setContent('<h1 id="who">mallory</h1>');
      expect(await page.textContent('#who')).toBe('mallory');
    } finally {
      await browser.close();
    }
    for (const pid of started) expect(isAlive(pid)).toBe(false);
  });
});
