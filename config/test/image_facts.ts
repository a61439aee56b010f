import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from '@whodunit/testkit';
import { commandArgs, environmentOf, hostPathOf, imageParts, type ComposeService } from './compose_file.js';
import { buildOf, loadDockerfile, stageNames, wordsOf, type Stage } from './dockerfile.js';

/**
 * What each official image of the stack listens on by default and which tools it ships, from the
 * images' Dockerfiles and docs. A healthcheck may only call a tool listed here (Loki's distroless
 * image and the prom/* busybox images have wget, not curl).
 */
export interface ImageFacts {
  ports: number[];
  tools: string[];
  /** Where the image keeps its state; compose must put a named volume there. */
  dataDir?: string;
}

export const IMAGE_FACTS: Record<string, ImageFacts> = {
  // distroless/static:debug: busybox under /busybox (on PATH).
  'grafana/loki': { ports: [3100, 9095], tools: ['wget', 'sh'], dataDir: '/loki' },
  // Alpine.
  'grafana/grafana': { ports: [3000], tools: ['wget', 'curl', 'sh'], dataDir: '/var/lib/grafana' },
  // quay.io/prometheus/busybox.
  'prom/prometheus': { ports: [9090], tools: ['wget', 'sh', 'promtool'], dataDir: '/prometheus' },
  'prom/alertmanager': { ports: [9093, 9094], tools: ['wget', 'sh', 'amtool'], dataDir: '/alertmanager' },
  'prometheuscommunity/postgres-exporter': { ports: [9187], tools: ['wget', 'sh'] },
  // Debian. The data directory of postgres images before 18.
  postgres: {
    ports: [5432],
    tools: ['pg_isready', 'psql', 'sh', 'bash'],
    dataDir: '/var/lib/postgresql/data',
  },
  // Alpine; ports of the built-in all-in-one config: OTLP gRPC/HTTP, sampling, Zipkin, Jaeger
  // gRPC/HTTP, UI, health check, own metrics.
  'jaegertracing/jaeger': {
    ports: [4317, 4318, 5778, 5779, 9411, 14250, 14268, 16686, 13133, 8888],
    tools: ['wget', 'sh'],
  },
  // The official Node.js images (Debian slim here): node and npm, no curl or wget. Only as the
  // base of an image we build (collector/Dockerfile).
  node: { ports: [], tools: ['node', 'npm', 'sh'] },
};

/**
 * The ports a service listens on: its image's defaults, changed by what its own configuration
 * says. Known overrides: `--web.listen-address=` (Prometheus, Alertmanager, exporters),
 * GF_SERVER_HTTP_PORT (Grafana), and server.http_listen_port / grpc_listen_port of the config
 * file Loki is started with (read through the service's bind mounts). An image built from our
 * own Dockerfile listens on what it EXPOSEs (config/test/collector.test.ts ties those to its config).
 */
export function listeningPorts(service: ComposeService): number[] {
  const ports = [...factsOf(service).ports];
  const { repository } = imageParts(service.image ?? '');
  const args = commandArgs(service);
  const listen = args.find((a) => a.startsWith('--web.listen-address='));
  if (listen) ports[0] = Number(listen.split(':').pop());
  const grafanaPort = environmentOf(service).GF_SERVER_HTTP_PORT;
  if (repository === 'grafana/grafana' && grafanaPort) ports[0] = Number(grafanaPort);
  if (repository === 'grafana/loki') {
    const configArg = args.find((a) => a.startsWith('-config.file='));
    const hostFile = configArg ? hostPathOf(service, configArg.slice('-config.file='.length)) : undefined;
    if (hostFile) {
      const config = parse(readFileSync(repoPath(hostFile), 'utf8')) as {
        server?: { http_listen_port?: number; grpc_listen_port?: number };
      };
      ports[0] = config.server?.http_listen_port ?? ports[0]!;
      ports[1] = config.server?.grpc_listen_port ?? ports[1]!;
    }
  }
  return ports;
}

/**
 * The facts of an image built from our own Dockerfile: the tools of its final stage's base
 * image, the ports it EXPOSEs and its VOLUME.
 */
export function dockerfileFacts(stages: readonly Stage[]): ImageFacts {
  const names = stageNames(stages);
  const final = stages.at(-1);
  if (!final) throw new Error('a Dockerfile without FROM');
  const base = names.has(final.image) ? stages.find((s) => s.name === final.image) : final;
  const baseFacts = IMAGE_FACTS[imageParts(base?.image ?? '').repository];
  if (!baseFacts) throw new Error(`no entry for base image ${base?.image} in IMAGE_FACTS`);
  const dataDir = wordsOf(final, 'VOLUME')[0];
  return {
    ports: wordsOf(final, 'EXPOSE').map((p) => Number(p.split('/')[0])),
    tools: baseFacts.tools,
    ...(dataDir ? { dataDir } : {}),
  };
}

export function factsOf(service: ComposeService): ImageFacts {
  const build = buildOf(service);
  if (!service.image && build) return dockerfileFacts(loadDockerfile(build.dockerfile));
  const facts = IMAGE_FACTS[imageParts(service.image ?? '').repository];
  if (!facts)
    throw new Error(`no entry for image ${service.image} in IMAGE_FACTS (config/test/image_facts.ts)`);
  return facts;
}
