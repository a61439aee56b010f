import { Registry } from 'prom-client';
import { silentLogger } from '../src/logger.js';
import type { Entry } from '../src/pipeline/entry.js';
import { createFileSource, type FileSourceHandle, type FileSourceOptions } from '../src/sources/file.js';
import { Positions } from '../src/sources/positions.js';

/**
 * Runs a file source the way the agent does: a consumer pulls batches and acks
 * each one once it has "delivered" it (here: appended to `received`). Fast
 * polling so tests wait milliseconds, never seconds.
 */
export interface RunningFileSource {
  readonly source: FileSourceHandle;
  readonly positions: Positions;
  readonly received: Entry[];
  batchSizes: number[];
  /** Stops the source, then writes the positions file (what a graceful stop does). */
  stop(): Promise<void>;
}

export async function startFileSource(
  positionsFile: string,
  targets: FileSourceOptions['targets'],
  extra: Partial<FileSourceOptions> & { ack?: boolean } = {},
): Promise<RunningFileSource> {
  const positions = await Positions.open({
    filename: positionsFile,
    syncPeriodMs: 0,
    ignoreInvalidYaml: false,
    logger: silentLogger,
  });
  const source = createFileSource({
    targets,
    positions,
    logger: silentLogger,
    metrics: new Registry(),
    syncPeriodMs: 50,
    pollIntervalMs: 5,
    rotateDrainMs: 30,
    ...extra,
  });
  await source.ready();
  const received: Entry[] = [];
  const run: RunningFileSource = {
    source,
    positions,
    received,
    batchSizes: [],
    async stop() {
      await source.stop();
      await consumer;
      await positions.stop();
    },
  };
  const consumer = (async () => {
    for await (const batch of source.batches()) {
      received.push(...batch.entries);
      run.batchSizes.push(batch.entries.length);
      if (extra.ack !== false) batch.ack();
    }
  })();
  return run;
}

export function linesOf(entries: readonly Entry[], filename?: string): string[] {
  return entries
    .filter((e) => filename === undefined || e.labels['filename'] === filename)
    .map((e) => e.line);
}
