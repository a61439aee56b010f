import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { repoPath } from '@whodunit/testkit';

/** The parts of a Compose service these checks read (the Compose schema checks the rest). */
export interface ComposeService {
  image?: string;
  build?: unknown;
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  tmpfs?: string | string[];
  ports?: (string | number | { target: number })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  user?: string;
  cap_add?: string[];
  cap_drop?: string[];
  read_only?: boolean;
  security_opt?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const composePath = repoPath('docker-compose.yml');

export async function loadCompose(): Promise<{ text: string; compose: ComposeFile }> {
  const text = await readFile(composePath, 'utf8');
  return { text, compose: parse(text) as ComposeFile };
}

export interface BindMount {
  /** As written, relative to the repository root (where docker-compose.yml is). */
  source: string;
  /** Path inside the container. */
  target: string;
  readOnly: boolean;
}

/** Host paths mounted into the service; named volumes are not bind mounts. */
export function bindMounts(service: ComposeService): BindMount[] {
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = '', mode = ''] = volume.split(':');
      const readOnly = mode.split(',').includes('ro');
      return source.startsWith('.') || source.startsWith('/') ? [{ source, target, readOnly }] : [];
    }
    return volume.type === 'bind' && volume.source
      ? [{ source: volume.source, target: volume.target, readOnly: volume.read_only === true }]
      : [];
  });
}

/**
 * The repository file a container path comes from, through the service's bind mounts:
 * `/etc/loki/loki.yml` in `loki` -> `config/loki/loki.yml`. Undefined if nothing mounts it.
 */
export function hostPathOf(service: ComposeService, containerPath: string): string | undefined {
  for (const mount of bindMounts(service)) {
    if (containerPath === mount.target) return posix.normalize(mount.source);
    if (containerPath.startsWith(`${mount.target}/`)) {
      return posix.join(mount.source, containerPath.slice(mount.target.length + 1));
    }
  }
  return undefined;
}

export function commandArgs(service: ComposeService): string[] {
  const command = service.command ?? [];
  return typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : command;
}

/** Container paths of the service's tmpfs mounts (`/run/x:size=1m` -> `/run/x`). */
export function tmpfsPaths(service: ComposeService): string[] {
  const tmpfs = service.tmpfs ?? [];
  return (typeof tmpfs === 'string' ? [tmpfs] : tmpfs).map((entry) => entry.split(':')[0] ?? entry);
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0] ?? e, e.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/**
 * The service's environment as compose passes it on a fresh clone with no .env:
 * `${NAME:-default}` -> default.
 */
export function environmentWithDefaults(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environmentOf(service)).map(([k, v]) => [
      k,
      v.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1'),
    ]),
  );
}

/** `grafana/loki:3.5.8` -> { repository: 'grafana/loki', tag: '3.5.8' } */
export function imageParts(image: string): { repository: string; tag: string | undefined; digest?: string } {
  const [name = '', digest] = image.split('@');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  return {
    repository: hasTag ? name.slice(0, colon) : name,
    tag: hasTag ? name.slice(colon + 1) : undefined,
    ...(digest ? { digest } : {}),
  };
}
