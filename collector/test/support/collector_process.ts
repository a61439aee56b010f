/**
 * The real `whodunit-collector` as a long-running process (from source, through
 * tsx), for tests of a whole stack: started with the given flags, ready once
 * `/ready` answers 200, killed with the test process even if the test forgets.
 *
 *   const collector = await startCollector({ args: [`-config.file=${file}`], port, env });
 *   await collector.waitForMetric('whodunit_postgres_source_connected', { job: 'db_audit' }, (v) => v === 1);
 *   await collector.stop();
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, waitForHttpOk, type ServiceProcess } from '@whodunit/testkit';

const collectorDir = new URL('../../', import.meta.url).pathname;

export interface CollectorOptions {
  /** Command-line flags, e.g. `-config.file=...`, `-config.expand-env=true`. */
  args: string[];
  /** The `server.http_listen_port` of its config: where /ready and /metrics are. */
  port: number;
  /** Added to the test's own environment. */
  env?: Record<string, string>;
}

export interface CollectorProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly process: ServiceProcess;
  /** The /metrics text now. */
  metrics(): Promise<string>;
  /** Resolves with the sample's value once `accept` takes it; fails with the log tail after `timeoutMs`. */
  waitForMetric(
    name: string,
    labels: Record<string, string>,
    accept: (value: number) => boolean,
    timeoutMs?: number,
  ): Promise<number>;
  stop(): Promise<void>;
}

export async function startCollector(options: CollectorOptions): Promise<CollectorProcess> {
  const logDir = await mkdtemp(join(tmpdir(), 'whodunit-collector-log-'));
  const proc = startProcess(
    'whodunit-collector',
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', ...options.args],
    join(logDir, 'collector.log'),
    { cwd: collectorDir, env: { ...process.env, ...options.env } },
  );
  const url = `http://127.0.0.1:${options.port}`;
  const stop = () => proc.stop('SIGTERM');
  try {
    await waitForHttpOk(`${url}/ready`, proc);
  } catch (error) {
    await stop();
    throw error;
  }
  const metrics = async () => (await fetch(`${url}/metrics`)).text();
  return {
    url,
    process: proc,
    metrics,
    async waitForMetric(name, labels, accept, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = metricValue(await metrics(), name, labels);
        if (value !== undefined && accept(value)) return value;
        if (Date.now() > deadline) {
          const wanted = `${name}${JSON.stringify(labels)}`;
          throw new Error(
            `collector /metrics: ${wanted} is ${value}, not as awaited:\n${await proc.logTail()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop,
  };
}

/**
 * The value of the first sample of `name` in Prometheus text whose labels include all of
 * `labels` (in any order, others allowed); undefined when there is none.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => pairs.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}
