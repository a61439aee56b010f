import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@whodunit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

/**
 * Issue 6: after `kill -9`, no line is read twice. Entries here are
 * timestamped at read time (no timestamp stage), so a line read again would be
 * a new (timestamp, line) that Loki stores a second time. The positions file
 * is never written while the collector runs (sync_period 1h): only the
 * positions the spool keeps with its records can say where to resume. With a
 * stage that holds lines (multiline blocks, CRI partial lines), the spooled
 * position stops before the oldest line still held, so a block cut by the
 * kill is read again whole, once.
 */
const KILL_AFTER_LINES = 15_000;
const TICK_MS = 20;

let dir: string;
let loki: LokiReceiver;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-resume-'));
  loki = await startLokiReceiver({ authEnabled: false });
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await loki.stop();
  await rm(dir, { recursive: true, force: true });
});

const at = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startCollector(job: string, stages: string): Promise<ChildProcess> {
  const port = await freePort();
  const configFile = join(dir, `${job}.yaml`);
  await writeFile(
    configFile,
    `server: { http_listen_address: 127.0.0.1, http_listen_port: ${port} }
positions: { filename: ${join(dir, `${job}.positions.yaml`)}, sync_period: 1h }
global: { file_watch_config: { min_poll_frequency: 50ms, max_poll_frequency: 50ms } }
spool: { directory: ${join(dir, `${job}.spool`)}, fsync_interval: 10ms }
clients:
  - url: ${loki.pushUrl}
    batchwait: 100ms
scrape_configs:
  - job_name: ${job}
    static_configs: [{ labels: { job: ${job}, __path__: ${join(dir, `${job}.log`)} } }]
    pipeline_stages: ${stages}
`,
  );
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '../src/cli.ts'),
      `-config.file=${configFile}`,
      '-log.level=error',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`collector exited early (${exited})`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await at(50);
  }
}

interface Scenario {
  /** The job name, also the log file's and the spool's. */
  job: string;
  /** `pipeline_stages` as YAML flow text. */
  stages: string;
  /** How many entries reach Loki when everything arrived. */
  total: number;
  /** Entries written per tick. */
  perTick: number;
  /** The file lines that make entry `n` (each ending with a newline). */
  write(n: number): string;
  /** Entry `n` as Loki stores it. */
  entry(n: number): string;
}

/** Writes through a kill -9 and a restart; reports what Loki got. */
async function killAndResume(s: Scenario) {
  const path = join(dir, `${s.job}.log`);
  await writeFile(path, '');
  const mine = () => loki.lines().filter((line) => line.startsWith(s.job));
  const received = () => mine().length;
  let collector = await startCollector(s.job, s.stages);

  // A writer that keeps appending through the kill and the restart.
  let written = 0;
  const writer = (async () => {
    while (written < s.total) {
      let chunk = '';
      for (const end = Math.min(s.total, written + s.perTick); written < end; written++)
        chunk += s.write(written);
      await appendFile(path, chunk);
      await at(TICK_MS);
    }
  })();

  const killAfter = Math.round((KILL_AFTER_LINES * s.total) / 30_000);
  while (received() < killAfter) await at(20);
  collector.kill('SIGKILL');
  await new Promise((resolve) => collector.once('exit', resolve));
  const receivedAtKill = received();
  // What makes a re-read possible: nothing was ever saved to the positions file.
  const positionsFileAtKill = existsSync(join(dir, `${s.job}.positions.yaml`));
  collector = await startCollector(s.job, s.stages);
  await writer;

  // Bounded so a failure reports what is missing instead of timing out.
  for (const deadline = Date.now() + 30_000; received() < s.total && Date.now() < deadline;) await at(50);
  collector.kill('SIGTERM');
  await new Promise((resolve) => collector.once('exit', resolve));

  const lines = mine();
  const times = new Map<string, number>();
  for (const line of lines) times.set(line, (times.get(line) ?? 0) + 1);
  const twice = [...times].filter(([, n]) => n > 1).length;
  let missing = 0;
  for (let n = 0; n < s.total; n++) if (!times.has(s.entry(n))) missing++;
  console.log(
    `resume after kill -9 (${s.job}): ${receivedAtKill} entries received before the kill, ${lines.length} stored of ${s.total}, ${twice} twice, ${missing} missing`,
  );
  expect({ positionsFileAtKill, killedMidStream: receivedAtKill < s.total }).toEqual({
    positionsFileAtKill: false,
    killedMidStream: true,
  });
  expect({ stored: lines.length, twice, missing }).toEqual({ stored: s.total, twice: 0, missing: 0 });
}

describe('resuming after kill -9', () => {
  it('reads no line twice: lines timestamped at read time reach Loki exactly once', async () => {
    await killAndResume({
      job: 'plain',
      stages: '[]',
      total: 30_000,
      perTick: 200,
      write: (n) => `plain line ${n}\n`,
      entry: (n) => `plain line ${n}`,
    });
  }, 60_000);

  it('with multiline, every block reaches Loki exactly once, whole, though the kill cut one', async () => {
    const block = (n: number) => `multi block ${n} failed\n  at frame ${n}.1\n  at frame ${n}.2`;
    await killAndResume({
      job: 'multi',
      stages: `[{ multiline: { firstline: '^multi block', max_wait_time: 200ms } }]`,
      total: 10_000,
      perTick: 67,
      write: (n) => `${block(n)}\n`,
      entry: block,
    });
  }, 60_000);

  it('with cri, every line split into partial lines reaches Loki exactly once, joined', async () => {
    // A time that does not parse: the entries keep their read time, so a line
    // read twice would reach Loki twice (with the runtime's times, Loki would
    // collapse the copy and the test could not see it).
    const time = (n: number) => `t${n}`;
    await killAndResume({
      job: 'cri',
      stages: '[{ cri: {} }]',
      total: 15_000,
      perTick: 100,
      write: (n) => `${time(n)} stdout P cri line ${n} first half, \n${time(n)} stdout F second half\n`,
      entry: (n) => `cri line ${n} first half, second half`,
    });
  }, 60_000);
});
