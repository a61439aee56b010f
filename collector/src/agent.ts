import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { ApiServer } from './api/server.js';
import type { Config, ScrapeTarget } from './agent_targets.js';
import { fileTargets, stdinLabels } from './agent_targets.js';
import { createLimits } from './limits.js';
import type { Logger } from './log.js';
import { compilePipeline } from './pipeline/pipeline.js';
import { systemClock, type Clock } from './pipeline/stage.js';
import type { Shipping } from './sinks/loki/shipping.js';
import type { FileSourceHandle } from './sources/file.js';
import { Positions } from './sources/positions.js';
import { resumeFromSpool } from './sources/spooled_positions.js';
import type { Batch, Source } from './sources/source.js';
import type { StdinFormat } from './sources/stdin.js';
import { runTarget } from './target_runner.js';

// Sources, sinks and the HTTP server are imported when the config uses them: each costs
// resident memory for as long as the collector runs (collector/README.md, "Performance").

export interface AgentOptions {
  /** A validated config (config/load.ts). */
  config: Config;
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  /** Where --dry-run prints entries. */
  output: Writable;
  /** Print entries instead of shipping them (also what happens with no client and no postgres sink configured). */
  dryRun?: boolean;
  /** `--stdin`: read this stream as the only target instead of the config's sources. */
  stdin?: { input: Readable; format: StdinFormat };
  /** Start the HTTP server (unless server.disable). Default: only when not reading stdin. */
  serve?: boolean;
}

export interface Agent {
  /** Resolves when every source has ended (stdin at EOF) or after stop(). */
  readonly done: Promise<void>;
  /** The HTTP port, when the server runs. */
  readonly port: number | undefined;
  stop(): Promise<void>;
}

/** The spool's directory: configured, or `spool/` beside the positions file. */
export function spoolDirectory(config: Config): string {
  return config.spool.directory ?? join(dirname(config.positions.filename), 'spool');
}

/**
 * Wires the collector: scrape configs -> sources -> pipeline -> limits ->
 * sink. The sink is the spool + Loki clients and PostgreSQL sinks
 * (sinks/loki/shipping.ts), or the --dry-run printer. Sources: stdin (alone), or per scrape config files
 * (static_configs with __path__), syslog and loki_push_api. /ready turns 200
 * once the spool is open, every source listens and the files are open.
 * Positions move only when the spool acknowledges a batch as durable.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { config, logger, metrics } = options;
  const clock = options.clock ?? systemClock;
  const limits = createLimits(config.limits_config, metrics, clock);
  const sources: Source[] = [];
  const runs: Promise<unknown>[] = [];
  let positions: Positions | undefined;
  let filesReady: Promise<void> = Promise.resolve();
  const dryRun =
    options.dryRun === true || (config.clients.length === 0 && config.postgres_sinks.length === 0);
  let shipping: Shipping | undefined;
  let sink: (batches: AsyncIterable<Batch>) => Promise<unknown>;
  if (dryRun) {
    const { printEntries } = await import('./sinks/dry_run.js');
    sink = (batches) => printEntries(batches, options.output);
  } else {
    const { startShipping } = await import('./sinks/loki/shipping.js');
    // Opened before any source starts: a source must never read what cannot be spooled.
    const opened = await startShipping({
      clients: config.clients,
      postgresSinks: config.postgres_sinks,
      spool: {
        directory: spoolDirectory(config),
        maxBytes: config.spool.max_bytes,
        fsyncIntervalMs: config.spool.fsync_interval,
      },
      logger,
      metrics,
    });
    shipping = opened;
    sink = (batches) => opened.write(batches);
  }

  const pipelineFor = (scrape: ScrapeTarget['scrape'], index: number) => {
    const { pipeline, problems } = compilePipeline(
      scrape.pipeline_stages,
      `scrape_configs[${index}].pipeline_stages`,
      {
        jobName: scrape.job_name,
        logger,
        metrics,
        clock,
      },
    );
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0)
      throw new Error(`invalid pipeline: ${errors.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    return pipeline;
  };
  const start = (source: Source, scrape: ScrapeTarget['scrape'], index: number) => {
    sources.push(source);
    const pipeline = pipelineFor(scrape, index);
    const processed = runTarget({ source, pipeline, limits, clock });
    runs.push(sink(processed));
  };

  if (options.stdin) {
    const { createStdinSource } = await import('./sources/stdin.js');
    const { scrape, labels } = stdinLabels(config);
    start(
      createStdinSource({ input: options.stdin.input, format: options.stdin.format, labels, clock, logger }),
      scrape,
      0,
    );
  } else {
    const targets = fileTargets(config);
    if (targets.length > 0 || config.scrape_configs.some((s) => s.postgres_audit)) {
      positions = await Positions.open({
        filename: config.positions.filename,
        syncPeriodMs: config.positions.sync_period,
        ignoreInvalidYaml: config.positions.ignore_invalid_yaml,
        // A dry run must not move the positions a shipping collector relies on.
        readOnly: dryRun,
        logger: logger.child({ component: 'positions' }),
      });
      // Lines already spooled are never read again, however old the positions file is.
      if (shipping) await resumeFromSpool(positions, shipping.spool.positions(), logger);
    }
    const fileSources: FileSourceHandle[] = [];
    for (const { scrape, index, targets: labelSets } of targets) {
      const { createFileSource } = await import('./sources/file.js');
      const source = createFileSource({
        targets: labelSets,
        positions: positions as Positions,
        logger: logger.child({ component: 'file', job: scrape.job_name }),
        metrics,
        clock,
        syncPeriodMs: config.target_config.sync_period,
        pollIntervalMs: config.global.file_watch_config.min_poll_frequency,
      });
      fileSources.push(source);
      start(source, scrape, index);
    }
    for (const [index, scrape] of config.scrape_configs.entries()) {
      const common = {
        relabelConfigs: scrape.relabel_configs,
        logger: logger.child({ job: scrape.job_name }),
        metrics,
        clock,
      };
      if (scrape.syslog) {
        const { createSyslogSource } = await import('./sources/syslog.js');
        start(await createSyslogSource({ config: scrape.syslog, ...common }), scrape, index);
      }
      if (scrape.loki_push_api) {
        const { createLokiPushSource } = await import('./sources/loki_push.js');
        start(await createLokiPushSource({ config: scrape.loki_push_api, ...common }), scrape, index);
      }
      if (scrape.postgres_audit) {
        const { createPostgresAuditSource } = await import('./sources/postgres_audit.js');
        const options = { config: scrape.postgres_audit, jobName: scrape.job_name, positions, ...common };
        start(await createPostgresAuditSource(options), scrape, index);
      }
    }
    filesReady = Promise.all(fileSources.map((s) => s.ready())).then(() => undefined);
  }

  let server: ApiServer | undefined;
  let ready = false;
  if ((options.serve ?? !options.stdin) && !config.server.disable) {
    const { startApiServer } = await import('./api/server.js');
    collectDefaultMetrics({ register: metrics });
    server = await startApiServer({
      address: config.server.http_listen_address,
      port: config.server.http_listen_port,
      pathPrefix: config.server.http_path_prefix,
      metrics,
      ready: () => ready,
      logger,
    });
  }
  filesReady.then(
    () => {
      ready = true;
    },
    (err: unknown) => logger.error('file targets failed to start', { error: err }),
  );

  // A daemon (not --stdin) runs until stopped, even with no source to read.
  let stopRequested: () => void = () => undefined;
  if (!options.stdin) runs.push(new Promise<void>((resolve) => (stopRequested = resolve)));

  const graceMs = Math.max(
    10_000,
    ...config.clients.map((c) => c.timeout),
    ...config.postgres_sinks.map((s) => s.timeout),
  );
  const done = Promise.all(runs).then(async () => {
    await shipping?.stop(graceMs);
    await positions?.stop();
    await server?.close();
  });
  return {
    done,
    port: server?.port,
    stop: async () => {
      stopRequested();
      await Promise.all(sources.map((s) => s.stop()));
      await done;
    },
  };
}
