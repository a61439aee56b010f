import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { copyConfig } from './config_copy.js';
import { waitForHttpOk } from './http_wait.js';
import { assertPortFree, freePort } from './ports.js';
import { startProcess, type ServiceProcess } from './processes.js';

export interface PrometheusOptions {
  /** The stack's own file, e.g. config/prometheus/prometheus.yml. */
  configFile: string;
  /** Strings to rewrite in that file: `{ 'alertmanager:9093': '127.0.0.1:41234' }`. */
  replacements?: Record<string, string>;
  port?: number;
  extraArgs?: string[];
}

export interface PrometheusServer {
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

/** Starts Debian's Prometheus on 127.0.0.1 from a copy of the stack's config. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = findBinary(['prometheus'], 'prometheus');
  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(port, 'Prometheus');
  const { dir, file } = await copyConfig(options.configFile, options.replacements, 'whodunit-prometheus-');
  const proc = startProcess(
    'prometheus',
    binary,
    [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      ...(options.extraArgs ?? []),
    ],
    join(dir, 'prometheus.log'),
  );
  const stop = async () => {
    await proc.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpOk(`${url}/-/ready`, proc);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, configFile: file, process: proc, stop };
}
