import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import {
  bindMounts,
  commandArgs,
  environmentOf,
  environmentWithDefaults,
  hostPathOf,
  loadCompose,
  type ComposeService,
} from './compose_file.js';
import {
  buildOf,
  contextSources,
  finalUser,
  loadDockerfile,
  parseDockerfile,
  wordsOf,
  type Stage,
} from './dockerfile.js';
import { factsOf } from './image_facts.js';

const run = promisify(execFile);

/** Folders of the TypeScript projects `tsc -b <dir>` builds: dir and its references, transitively. */
async function projectClosure(dir: string, seen = new Set<string>()): Promise<Set<string>> {
  if (seen.has(dir)) return seen;
  seen.add(dir);
  const tsconfig = JSON.parse(await readFile(repoPath(dir, 'tsconfig.json'), 'utf8')) as {
    references?: { path: string }[];
  };
  for (const ref of tsconfig.references ?? []) await projectClosure(posix.join(dir, ref.path), seen);
  return seen;
}

/** Workspace folders the package in dir needs at run time: its @whodunit/* dependencies, transitively. */
async function runtimeWorkspaces(dir: string, seen = new Set<string>()): Promise<Set<string>> {
  if (seen.has(dir)) return seen;
  seen.add(dir);
  const pkg = JSON.parse(await readFile(repoPath(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(pkg.dependencies ?? {}).filter((n) => n.startsWith('@whodunit/'))) {
    await runtimeWorkspaces(name.slice('@whodunit/'.length), seen);
  }
  return seen;
}

/** The keys of config/collector/collector.yml these checks read. */
interface CollectorConfig {
  server: { http_listen_port: number };
  positions: { filename: string };
  spool: { directory: string };
  clients: { url: string }[];
  scrape_configs: {
    job_name: string;
    static_configs?: { labels?: Record<string, string> }[];
    pipeline_stages?: Record<string, unknown>[];
    syslog?: { listen_address: string };
    loki_push_api?: { server: { http_listen_port: number } };
  }[];
}

const CONFIG = 'config/collector/collector.yml';

describe('config/collector/collector.yml', () => {
  let config: CollectorConfig;

  beforeAll(async () => {
    config = parse(await readFile(repoPath(CONFIG), 'utf8')) as CollectorConfig;
  });

  it("passes the collector's own --check-config as compose runs it (warnings allowed)", async () => {
    // Compose's flags (-config.expand-env=true) and environment, with the config's path here.
    const service = (await loadCompose()).compose.services.collector!;
    const args = commandArgs(service).map((a) =>
      a.startsWith('-config.file=') ? `-config.file=${CONFIG}` : a,
    );
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'collector/src/cli.ts', ...args, '--check-config'],
      { cwd: repoPath('.'), env: { ...process.env, ...environmentWithDefaults(service) } },
    ).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(`--check-config exited ${err.code}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    // Warnings do not fail the check; show them to whoever runs the tests.
    if (!stdout.includes('(0 warning(s))')) console.warn(stdout);
    expect(stdout).toMatch(/^config OK \(\d+ warning\(s\)\)$/m);
    expect(stderr).toBe('');
  });

  it('reads the Docker containers’ JSON logs through the docker stage, and listens for syslog and pushes', () => {
    const docker = config.scrape_configs.find((job) =>
      job.static_configs?.some((s) => s.labels?.__path__ === '/var/lib/docker/containers/*/*-json.log'),
    );
    expect(docker?.pipeline_stages?.[0]).toEqual({ docker: {} });
    expect(config.scrape_configs.some((job) => job.syslog)).toBe(true);
    expect(config.scrape_configs.some((job) => job.loki_push_api)).toBe(true);
    expect(config.clients.map((c) => c.url)).toEqual(['http://loki:3100/loki/api/v1/push']);
  });
});

describe('collector/Dockerfile', () => {
  const path = 'collector/Dockerfile';
  let stages: Stage[];
  let final: Stage;

  beforeAll(() => {
    stages = loadDockerfile(path);
    final = stages.at(-1)!;
  });

  it('builds in stages and ships only the last one, on the same pinned base image', () => {
    expect(stages.length).toBeGreaterThan(1);
    expect(new Set(stages.map((s) => s.image))).toEqual(new Set(['node:20.20.2-bookworm-slim']));
  });

  it('runs as a non-root user', () => {
    const user = finalUser(stages);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('names a non-root user only when the last USER is one', () => {
    const text = 'FROM node:20.20.2-bookworm-slim\nUSER node\nRUN true\nUSER root\n';
    expect(finalUser(parseDockerfile(text))).toBe('root');
    expect(finalUser(parseDockerfile('FROM node:20.20.2-bookworm-slim\n'))).toBeUndefined();
  });

  it('copies only paths that exist in the build context', () => {
    const missing = contextSources(stages)
      .filter(({ path: source }) => !existsSync(repoPath(source)))
      .map(({ path: source, line }) => `${path}:${line} ${source}`);
    expect(missing).toEqual([]);
    expect(contextSources(stages).length).toBeGreaterThan(0);
  });

  it('builds with every project collector/tsconfig.json references, and ships every workspace it runs with', async () => {
    const copied = (stage: Stage) => contextSources([stage]).map((c) => posix.normalize(c.path));
    const build = stages[0]!;
    const projects = [...(await projectClosure('collector'))];
    expect(
      projects.filter(
        (dir) => !copied(build).includes(dir) || !copied(build).includes(`${dir}/package.json`),
      ),
    ).toEqual([]);
    const runtime = [...(await runtimeWorkspaces('collector'))];
    const deps = stages.find((s) => s.name === 'deps')!;
    const shipped = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(
      runtime.flatMap((dir) => [
        ...(copied(deps).includes(`${dir}/package.json`) ? [] : [`deps stage: ${dir}/package.json`]),
        ...(copied(final).includes(`${dir}/package.json`) ? [] : [`final stage: ${dir}/package.json`]),
        ...(shipped.some((a) => a.startsWith(`--from=build /app/${dir}/dist/src `))
          ? []
          : [`final stage: ${dir}/dist/src`]),
      ]),
    ).toEqual([]);
  });

  it('starts the compiled CLI of collector/src/cli.ts, with the config compose mounts', () => {
    const entrypoint = wordsOf(final, 'ENTRYPOINT');
    expect(entrypoint[0]).toBe('node');
    // tsc compiles collector/src/cli.ts to collector/dist/src/cli.js (rootDir ".", outDir "dist").
    const script = entrypoint[1] ?? '';
    expect(script).toBe('collector/dist/src/cli.js');
    expect(existsSync(repoPath(script.replace('/dist/', '/').replace(/\.js$/, '.ts')))).toBe(true);
    // The example config names ${WHODUNIT_COLLECTOR_DB_PASSWORD}, so the default command expands it.
    expect(wordsOf(final, 'CMD')).toEqual([
      '-config.file=/etc/whodunit/collector.yml',
      '-config.expand-env=true',
    ]);
  });

  it('checks its health with node, the one tool the slim image has for it', () => {
    const healthcheck = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/CMD \["node", "-e", ".*http:\/\/127\.0\.0\.1:9080\/ready/);
  });

  it('exposes the ports and keeps on its volume the paths collector.yml uses', async () => {
    const config = parse(await readFile(repoPath(CONFIG), 'utf8')) as CollectorConfig;
    const listens = [
      config.server.http_listen_port,
      ...config.scrape_configs.flatMap((job) => [
        ...(job.syslog ? [Number(job.syslog.listen_address.split(':').pop())] : []),
        ...(job.loki_push_api ? [job.loki_push_api.server.http_listen_port] : []),
      ]),
    ];
    expect(wordsOf(final, 'EXPOSE').map(Number).sort()).toEqual(listens.sort());
    const volume = wordsOf(final, 'VOLUME')[0] ?? '';
    expect(volume).toBe('/var/lib/whodunit');
    for (const file of [config.positions.filename, config.spool.directory]) {
      expect(posix.relative(volume, file)).not.toMatch(/^\.\./);
    }
  });

  it('is built from a context that leaves out host build output (else `tsc -b` in the image is skipped)', async () => {
    const ignored = (await readFile(repoPath('.dockerignore'), 'utf8')).split('\n').map((l) => l.trim());
    expect(ignored).toEqual(
      expect.arrayContaining(['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git']),
    );
  });
});

describe('the collector service of docker-compose.yml', () => {
  let service: ComposeService;
  let postgres: ComposeService;
  let volumes: Record<string, unknown>;

  beforeAll(async () => {
    const { compose } = await loadCompose();
    service = compose.services.collector!;
    postgres = compose.services.postgres!;
    volumes = compose.volumes ?? {};
  });

  it('is built from collector/Dockerfile at the repository root', () => {
    expect(buildOf(service)).toEqual({ context: '.', dockerfile: 'collector/Dockerfile' });
  });

  it('runs the example config, mounted read-only where the command looks for it', () => {
    const configArg = commandArgs(service).find((a) => a.startsWith('-config.file='));
    expect(hostPathOf(service, configArg?.slice('-config.file='.length) ?? '')).toBe(CONFIG);
    expect(bindMounts(service).find((m) => m.source === './config/collector')?.readOnly).toBe(true);
  });

  it("reads the containers' logs read-only, and keeps positions and spool on a named volume", () => {
    expect(bindMounts(service)).toContainEqual({
      source: '/var/lib/docker/containers',
      target: '/var/lib/docker/containers',
      readOnly: true,
    });
    expect(factsOf(service).dataDir).toBe('/var/lib/whodunit');
    expect(service.volumes).toContain('collector-data:/var/lib/whodunit');
    expect(volumes).toHaveProperty('collector-data');
  });

  it('publishes its HTTP, syslog and push ports', () => {
    expect(service.ports).toEqual([
      '${WHODUNIT_BIND_ADDRESS:-127.0.0.1}:9080:9080',
      '${WHODUNIT_BIND_ADDRESS:-127.0.0.1}:1514:1514',
      '${WHODUNIT_BIND_ADDRESS:-127.0.0.1}:3500:3500',
    ]);
  });

  it('starts once Loki, PostgreSQL (migrated, logins created) and Alertmanager are healthy', () => {
    expect(service.depends_on).toEqual({
      loki: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      alertmanager: { condition: 'service_healthy' },
    });
  });

  it('gets the password of the whodunit_collector login the postgres service creates, and expands it', () => {
    expect(environmentOf(service).WHODUNIT_COLLECTOR_DB_PASSWORD).toBe(
      environmentOf(postgres).WHODUNIT_COLLECTOR_DB_PASSWORD,
    );
    expect(commandArgs(service)).toContain('-config.expand-env=true');
  });

  it('as uid 0 (to read root-only logs), holds no capability but DAC_READ_SEARCH and cannot gain one', () => {
    // Docker gives no capability to a non-root user (moby/moby#8460), so reading Docker's
    // 0640 root:root logs takes uid 0; everything else a root process could do is taken away.
    expect(service.user).toBe('0:0');
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.cap_add).toEqual(['DAC_READ_SEARCH']);
    expect(service.read_only).toBe(true);
    expect(service.security_opt).toContain('no-new-privileges:true');
  });
});
