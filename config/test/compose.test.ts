import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import {
  bindMounts,
  commandArgs,
  composePath,
  environmentOf,
  hostPathOf,
  imageParts,
  loadCompose,
  tmpfsPaths,
  type ComposeFile,
} from './compose_file.js';
import { defaultRunDir, entrypointText, variablesRead } from './alertmanager_entrypoint.js';
import { buildOf, loadDockerfile, stageNames } from './dockerfile.js';
import { factsOf, listeningPorts } from './image_facts.js';
import { checkYamlFile, checkYamlText } from './yaml_schema.js';

/**
 * The official Compose Specification schema (compose-spec/compose-spec schema/compose-spec.json),
 * as shipped by the dclint package, which tracks it.
 */
async function composeSchemaValidator(): Promise<ValidateFunction> {
  const dclint = dirname(createRequire(import.meta.url).resolve('dclint/package.json'));
  const schema = JSON.parse(await readFile(join(dclint, 'schemas', 'compose.schema.json'), 'utf8')) as {
    $schema?: string;
  };
  // The spec names draft-07 as https://json-schema.org/draft-07/schema, a spelling of the URL
  // that Ajv does not recognise; the content is draft-07, Ajv's default.
  expect(schema.$schema).toMatch(/draft-07/);
  delete schema.$schema;
  // strict off: the spec uses annotations (deprecated) that strict Ajv refuses.
  return new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema);
}

/** `name:tag` with an exact version: PostgreSQL's major.minor (17.6), semver for the rest; or a digest. */
function isExactImage(image: string): boolean {
  const { repository, tag, digest } = imageParts(image);
  if (digest) return true;
  const exact = repository === 'postgres' ? /^\d+\.\d+(-[\w.-]+)?$/ : /^v?\d+\.\d+\.\d+(-[\w.-]+)?$/;
  return tag !== undefined && exact.test(tag);
}

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  let text: string;
  let validate: ValidateFunction;
  const services = () => Object.entries(compose.services);

  beforeAll(async () => {
    ({ compose, text } = await loadCompose());
    validate = await composeSchemaValidator();
  });

  it('is valid against the Compose Specification schema', async () => {
    expect(await checkYamlFile(composePath, validate)).toEqual([]);
  });

  it('names the file, line and key path of a misspelt key', () => {
    const bad = text.replace(/\n {4}healthcheck:/, '\n    healtcheck:');
    const line = bad.split('\n').findIndex((l) => l === '    healtcheck:') + 1;
    expect(checkYamlText('docker-compose.yml', bad, validate)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^docker-compose\\.yml:${line}:5 services\\.loki\\.healtcheck: unknown key; did you mean "healthcheck"\\?`,
        ),
      ),
    ]);
  });

  it('runs the whole stack: every service the foundation issue lists', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'alertmanager',
        'collector',
        'grafana',
        'jaeger',
        'loki',
        'postgres',
        'postgres-exporter',
        'prometheus',
      ].sort(),
    );
  });

  it('pins every image to an exact version (no latest, no bare major or minor), built ones by their FROM lines', () => {
    const loose = services().flatMap(([name, service]) => {
      const build = buildOf(service);
      if (!service.image && build) {
        const stages = loadDockerfile(build.dockerfile);
        const names = stageNames(stages);
        return stages
          .filter((stage) => !names.has(stage.image) && !isExactImage(stage.image))
          .map((stage) => `${name}: FROM ${stage.image} in ${build.dockerfile}`);
      }
      if (!service.image) return [`${name}: neither image nor build`];
      return isExactImage(service.image) ? [] : [`${name}: ${service.image}`];
    });
    expect(loose).toEqual([]);
  });

  it('refuses a Dockerfile FROM that is not an exact version', () => {
    expect(isExactImage('node:20.20.2-bookworm-slim')).toBe(true);
    expect(isExactImage('node:20-bookworm-slim')).toBe(false);
    expect(isExactImage('node:20.20-bookworm-slim')).toBe(false);
    expect(isExactImage('node')).toBe(false);
    expect(isExactImage('node:lts')).toBe(false);
  });

  it('gives every service a healthcheck that uses a tool its image ships', () => {
    const problems = services().flatMap(([name, service]) => {
      const test = service.healthcheck?.test;
      if (!test || service.healthcheck?.disable) return [`${name}: no healthcheck`];
      const words = typeof test === 'string' ? ['CMD-SHELL', test] : test;
      const tool = words[0] === 'CMD-SHELL' ? words[1]?.trim().split(/\s+/)[0] : words[1];
      if (words[0] !== 'CMD' && words[0] !== 'CMD-SHELL') return [`${name}: healthcheck test is ${words[0]}`];
      return tool && factsOf(service).tools.includes(tool) ? [] : [`${name}: ${tool} is not in its image`];
    });
    expect(problems).toEqual([]);
  });

  it('orders start-up with conditions, and waits for health only on services that have a healthcheck', () => {
    const problems = services().flatMap(([name, service]) => {
      const dependsOn = service.depends_on ?? {};
      if (Array.isArray(dependsOn)) return [`${name}: depends_on without conditions`];
      return Object.entries(dependsOn).flatMap(([target, { condition }]) => {
        const other = compose.services[target];
        if (!other) return [`${name} -> ${target}: no such service`];
        if (!condition) return [`${name} -> ${target}: no condition`];
        if (condition === 'service_healthy' && !other.healthcheck)
          return [`${name} -> ${target}: has no healthcheck`];
        return [];
      });
    });
    expect(problems).toEqual([]);
    expect(compose.services.grafana?.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
    });
    expect(compose.services['postgres-exporter']?.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
    });
  });

  it('mounts only repository paths that exist, and host system paths only read-only', () => {
    const problems = services().flatMap(([name, service]) =>
      bindMounts(service).flatMap((mount) => {
        // An absolute source is the host's own (the collector's /var/lib/docker/containers).
        if (mount.source.startsWith('/'))
          return mount.readOnly ? [] : [`${name}: ${mount.source} is writable`];
        return existsSync(repoPath(mount.source)) ? [] : [`${name}: ${mount.source}`];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('keeps every stateful service on a declared named volume', () => {
    const problems = services().flatMap(([name, service]) => {
      const dataDir = factsOf(service).dataDir;
      if (!dataDir) return [];
      const volume = (service.volumes ?? []).find((v) => typeof v === 'string' && v.endsWith(`:${dataDir}`));
      const source = typeof volume === 'string' ? volume.split(':')[0] : undefined;
      return source && compose.volumes && source in compose.volumes
        ? []
        : [`${name}: ${dataDir} is not a named volume`];
    });
    expect(problems).toEqual([]);
  });

  it('publishes only ports the service listens on', () => {
    const problems = services().flatMap(([name, service]) =>
      (service.ports ?? []).flatMap((port) => {
        const target = typeof port === 'object' ? Number(port.target) : Number(String(port).split(':').pop());
        return listeningPorts(service).includes(target) ? [] : [`${name}: ${String(port)}`];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('publishes ports on loopback only, unless WHODUNIT_BIND_ADDRESS opens them', () => {
    const published = services().flatMap(([name, service]) =>
      (service.ports ?? []).map((p) => ({ name, port: String(p) })),
    );
    expect(published.length).toBeGreaterThan(0);
    const open = published.filter(({ port }) => !port.startsWith('${WHODUNIT_BIND_ADDRESS:-127.0.0.1}:'));
    expect(open.map(({ name, port }) => `${name}: ${port}`)).toEqual([]);
  });

  it('runs PostgreSQL with logical decoding on, which the audit capture reads from, and a cap on the WAL it holds', () => {
    const args = commandArgs(compose.services.postgres!);
    expect(args).toEqual(expect.arrayContaining(['-c', 'wal_level=logical']));
    expect(args.some((a) => a.startsWith('max_slot_wal_keep_size='))).toBe(true);
  });

  it('runs Alertmanager with clustering off', () => {
    expect(commandArgs(compose.services.alertmanager!)).toContain('--cluster.listen-address=');
  });

  it('starts Alertmanager through config/alertmanager/entrypoint.sh, rendering into a tmpfs, with every variable it reads', async () => {
    const service = compose.services.alertmanager!;
    const script = await entrypointText();
    const entrypoint =
      typeof service.entrypoint === 'string' ? [service.entrypoint] : (service.entrypoint ?? []);
    expect(entrypoint).toHaveLength(2);
    const [shell, scriptPath = ''] = entrypoint;
    expect(factsOf(service).tools).toContain(shell?.split('/').pop());
    expect(hostPathOf(service, scriptPath)).toBe('config/alertmanager/entrypoint.sh');
    // The committed config it renders is mounted; the rendered copy and the secrets are not on disk.
    const configArg = commandArgs(service).find((a) => a.startsWith('--config.file='));
    const configFile = hostPathOf(service, configArg?.slice('--config.file='.length) ?? '');
    expect(configFile && existsSync(repoPath(configFile))).toBe(true);
    expect(tmpfsPaths(service)).toContain(defaultRunDir(script));
    const environment = environmentOf(service);
    expect(Object.keys(environment).sort()).toEqual(variablesRead(script));
    for (const [key, value] of Object.entries(environment)) expect(value).toBe(`\${${key}:-}`);
  });

  it('takes secrets only from the environment, with a local default, each documented in .env.example', async () => {
    const example = await readFile(repoPath('.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const variables = [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(:?-[^}]*)?\}/g)];
    expect(variables.length).toBeGreaterThan(0);
    const problems = variables.flatMap(([whole, variable, fallback]) => [
      ...(fallback ? [] : [`${whole}: no default, so a fresh clone cannot start`]),
      ...(documented.has(variable) ? [] : [`${variable}: not in .env.example`]),
    ]);
    const literalSecrets = services().flatMap(([name, service]) =>
      Object.entries(environmentOf(service))
        .filter(([key]) => /PASSWORD|PASS$|SECRET|TOKEN|WEBHOOK/.test(key))
        .filter(([, value]) => !/^\$\{[A-Z0-9_]+:-[^}]*\}$/.test(value))
        .map(([key]) => `${name}.${key}: not from the environment`),
    );
    expect([...problems, ...literalSecrets]).toEqual([]);
  });
});
