import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { copyConfig } from './config_copy.js';
import { waitForHttpOk } from './http_wait.js';
import { assertPortFree, freePort } from './ports.js';
import { startProcess, type ServiceProcess } from './processes.js';

export interface AlertmanagerOptions {
  /** The stack's own file, e.g. config/alertmanager/alertmanager.yml. */
  configFile: string;
  /** Strings to rewrite in that file (webhook URLs, template paths, ports). */
  replacements?: Record<string, string>;
  port?: number;
  extraArgs?: string[];
}

export interface AlertmanagerServer {
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

/** Debian names the binary prometheus-alertmanager; upstream calls it alertmanager. */
export function alertmanagerBinary(): string {
  return findBinary(['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager');
}

/**
 * Starts Alertmanager on 127.0.0.1 with clustering off: with it on, the first
 * notification after a start waits for gossip to settle (~10 s).
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerServer> {
  const binary = alertmanagerBinary();
  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(port, 'Alertmanager');
  const { dir, file } = await copyConfig(options.configFile, options.replacements, 'whodunit-alertmanager-');
  const proc = startProcess(
    'alertmanager',
    binary,
    [
      `--config.file=${file}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      ...(options.extraArgs ?? []),
    ],
    join(dir, 'alertmanager.log'),
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
