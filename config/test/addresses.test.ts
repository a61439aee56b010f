import { readdir, readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import { bindMounts, environmentOf, loadCompose, type ComposeFile } from './compose_file.js';
import { checkAddresses, findAddresses, type Address, type AddressBook } from './addresses.js';
import { listeningPorts } from './image_facts.js';

/**
 * Services that later issues add to docker-compose.yml, and the ports they will listen on, so
 * that configs written now may already point at them. Remove an entry when its service lands.
 */
const PLANNED: Record<string, number[]> = {};

/** Config files a later service reads, by that service (they are not mounted yet). */
const PLANNED_READERS: Record<string, string> = {};

async function yamlFilesUnder(path: string): Promise<string[]> {
  const info = await stat(repoPath(path)).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return /\.ya?ml$/.test(path) ? [posix.normalize(path)] : [];
  const entries = await readdir(repoPath(path));
  return (await Promise.all(entries.map((e) => yamlFilesUnder(posix.join(path, e))))).flat();
}

/** Every config file the stack reads, with the services that read it. */
async function configReaders(compose: ComposeFile): Promise<Map<string, string[]>> {
  const readers = new Map<string, string[]>();
  const add = (file: string, service: string) => readers.set(file, [...(readers.get(file) ?? []), service]);
  for (const [name, service] of Object.entries(compose.services)) {
    // Repository paths only: an absolute source is the host's own (container logs), not config.
    for (const mount of bindMounts(service).filter((m) => !m.source.startsWith('/'))) {
      for (const file of await yamlFilesUnder(mount.source)) add(file, name);
    }
  }
  for (const [dir, service] of Object.entries(PLANNED_READERS)) {
    for (const file of await yamlFilesUnder(dir)) add(file, service);
  }
  return readers;
}

describe('host:port references between the services', () => {
  let compose: ComposeFile;
  let composeText: string;
  let book: AddressBook;
  let addresses: Address[];

  beforeAll(async () => {
    ({ compose, text: composeText } = await loadCompose());
    const readers = await configReaders(compose);
    book = {
      compose,
      readers,
      planned: PLANNED,
      portsOf: (service) => (compose.services[service] ? listeningPorts(compose.services[service]) : []),
    };
    const inFiles = await Promise.all(
      [...readers.keys()].map(async (file) => findAddresses(file, await readFile(repoPath(file), 'utf8'))),
    );
    // Compose's own environment values (postgres-exporter's DATA_SOURCE_URI, ...).
    const composeLines = composeText.split('\n');
    const inEnvironment = Object.values(compose.services).flatMap((service) =>
      Object.entries(environmentOf(service)).flatMap(([key, value]) => {
        const line = composeLines.findIndex((l) => l.trim().startsWith(`${key}:`)) + 1;
        return findAddresses('docker-compose.yml', value).map((a) => ({ ...a, line }));
      }),
    );
    addresses = [...inFiles.flat(), ...inEnvironment];
  });

  it('finds the references of every part of the stack', () => {
    const found = new Set(addresses.map((a) => `${a.file} ${a.host}:${a.port}`));
    for (const expected of [
      'config/prometheus/prometheus.yml alertmanager:9093',
      'config/prometheus/prometheus.yml postgres-exporter:9187',
      'config/prometheus/prometheus.yml collector:9080',
      'config/loki/loki.yml alertmanager:9093',
      'config/grafana/provisioning/datasources/datasources.yml postgres:5432',
      'config/grafana/provisioning/datasources/datasources.yml jaeger:16686',
      'config/collector/collector.yml loki:3100',
      'docker-compose.yml postgres:5432',
    ]) {
      expect(found).toContain(expected);
    }
  });

  it('points only at compose services, on ports they listen on', () => {
    expect(checkAddresses(addresses, book)).toEqual([]);
  });

  it('names the file, line and address of a wrong reference', () => {
    const text = 'clients:\n  - url: http://lokki:3100/loki/api/v1/push\n  - url: http://loki:3101/\n';
    expect(checkAddresses(findAddresses('collector.yml', text), book)).toEqual([
      'collector.yml:2 lokki:3100: no compose service is named lokki',
      'collector.yml:3 loki:3101: loki listens on 3100, 9095',
    ]);
  });

  it('lists as planned only services that are not in docker-compose.yml yet', () => {
    expect(Object.keys(PLANNED).filter((name) => name in compose.services)).toEqual([]);
  });

  it('derives listening ports from each service, including the config it runs with', () => {
    expect(book.portsOf('loki')).toEqual([3100, 9095]);
    expect(book.portsOf('alertmanager')).toContain(9093);
    expect(book.portsOf('jaeger')).toEqual(expect.arrayContaining([4317, 4318, 16686]));
    // Built from collector/Dockerfile: the ports it EXPOSEs.
    expect(book.portsOf('collector')).toEqual([9080, 1514, 3500]);
  });
});
