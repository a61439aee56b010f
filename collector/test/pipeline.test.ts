/**
 * The pipeline runner with stages made for the test: several entries out of
 * one, entries held and flushed, a throwing stage, and problems reported with
 * full paths.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../src/logger.js';
import { cloneEntry, newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';
import { defineStage, type StageDefinition } from '../src/pipeline/stage.js';

const split = defineStage({
  name: 'split',
  schema: z.object({ on: z.string() }),
  create: ({ on }) => ({
    process: (entry) =>
      entry.line.split(on).map((part) => {
        const copy = cloneEntry(entry);
        copy.line = part;
        return copy;
      }),
  }),
});

const suffix = defineStage({
  name: 'suffix',
  schema: z.object({ text: z.string() }),
  create: ({ text }) => ({
    process: (entry) => {
      entry.line += text;
      return entry;
    },
  }),
});

/** Holds every entry until flush. */
const hold = defineStage({
  name: 'hold',
  schema: z.object({}),
  create: () => {
    const held: Entry[] = [];
    return {
      process: (entry) => {
        held.push(entry);
        return undefined;
      },
      flush: (_now, force) => (force ? held.splice(0) : []),
    };
  },
});

const boom = defineStage({
  name: 'boom',
  schema: z.object({}),
  create: () => ({
    process: () => {
      throw new Error('bug');
    },
  }),
});

const nest = defineStage({
  name: 'nest',
  schema: z.object({ stages: z.array(z.unknown()) }),
  create: (config, ctx) => ctx.buildPipeline(config.stages, `${ctx.path}.stages`),
});

const registry = { split, suffix, hold, boom, nest } as Record<string, StageDefinition>;

function compile(stages: unknown[], metrics = new Registry()) {
  return compilePipeline(stages, 'pipeline_stages', {
    jobName: 'test',
    logger: silentLogger,
    metrics,
    clock: { now: () => 0n },
    registry,
  });
}

const lines = (entries: Entry[]) => entries.map((e) => e.line);

describe('pipeline', () => {
  it('sends each entry a stage returns on through the following stages', () => {
    const { pipeline, problems } = compile([{ split: { on: ',' } }, { suffix: { text: '!' } }]);
    expect(problems).toEqual([]);
    const out: Entry[] = [];
    pipeline.push(newEntry('a,b,c', {}, 0n), out);
    expect(lines(out)).toEqual(['a!', 'b!', 'c!']);
  });

  it('passes flushed entries through the stages after the one that held them, in order', () => {
    const { pipeline } = compile([{ suffix: { text: '1' } }, { hold: {} }, { suffix: { text: '2' } }]);
    const out: Entry[] = [];
    pipeline.push(newEntry('a', {}, 0n), out);
    pipeline.push(newEntry('b', {}, 0n), out);
    expect(out).toEqual([]);
    expect(lines(pipeline.flush(0n, false))).toEqual([]);
    expect(lines(pipeline.flush(0n, true))).toEqual(['a12', 'b12']);
  });

  it('flushes stages nested in another stage', () => {
    const { pipeline } = compile([{ nest: { stages: [{ hold: {} }] } }, { suffix: { text: '!' } }]);
    expect(pipeline.process(newEntry('a', {}, 0n))).toBeUndefined();
    expect(lines(pipeline.flush(0n, true))).toEqual(['a!']);
  });

  it('lets an entry pass a stage that throws, and counts it', async () => {
    const metrics = new Registry();
    const { pipeline } = compile([{ boom: {} }, { suffix: { text: '!' } }], metrics);
    expect((pipeline.process(newEntry('a', {}, 0n)) as Entry).line).toBe('a!');
    expect(await metrics.getSingleMetricAsString('pipeline_errors_total')).toContain(
      'pipeline_errors_total{stage="boom",reason="stage_exception"} 1',
    );
  });

  it('reports every problem with its full path, nested ones included', () => {
    const { problems } = compile([
      { split: {} },
      { nest: { stages: [{ suffix: { text: 1 } }, { nope: {} }] } },
      'hold',
      { hold: {}, split: { on: ',' } },
    ]);
    expect(problems.map((p) => `${p.severity} ${p.path}`)).toEqual([
      'error pipeline_stages[0].split.on',
      'error pipeline_stages[1].nest.stages[0].suffix.text',
      'error pipeline_stages[1].nest.stages[1].nope',
      'error pipeline_stages[2]',
      'error pipeline_stages[3]',
    ]);
  });
});
