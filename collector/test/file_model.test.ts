import {
  appendFile,
  copyFile,
  mkdtemp,
  open,
  rename,
  rm,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startFileSource, type RunningFileSource } from './file_source_harness.js';

/**
 * Model-based test of the file source (STYLE.md §5): random sequences of
 * writes, rotations, truncations, deletions and restarts, checked against a
 * model of what must arrive: every line exactly once, and the lines of each
 * physical file in the order they were written.
 *
 * Disruptive operations first wait until what was written has arrived: a
 * tailer cannot read lines that are destroyed (truncate) or moved out of sight
 * (rename) before it ever looked, whatever its design. Restarts do not wait:
 * acked positions alone must make them exact. Rotations while stopped do not
 * wait either (the saved file identity finds the renamed file); a truncation
 * while stopped waits, since truncated lines are gone.
 */
type Op =
  | { kind: 'write'; file: number; lines: number; split: boolean }
  | { kind: 'rotate'; file: number; lateLines: number }
  | { kind: 'copytruncate'; file: number }
  | { kind: 'truncate'; file: number }
  | { kind: 'delete'; file: number }
  | { kind: 'restart' }
  /** Stop; lines the collector never saw go to the file, which is renamed and replaced; start. */
  | { kind: 'rotateWhileDown'; file: number; unread: number; fresh: number }
  /** Stop; the file is truncated and refilled (maybe past the saved offset); start. */
  | { kind: 'truncateWhileDown'; file: number; fresh: number };

const fileArb = fc.integer({ min: 0, max: 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      file: fileArb,
      lines: fc.integer({ min: 1, max: 20 }),
      split: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('rotate' as const),
      file: fileArb,
      lateLines: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copytruncate' as const), file: fileArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fileArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), file: fileArb }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'restart' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rotateWhileDown' as const),
      file: fileArb,
      unread: fc.integer({ min: 0, max: 5 }),
      fresh: fc.integer({ min: 0, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncateWhileDown' as const),
      file: fileArb,
      fresh: fc.integer({ min: 0, max: 20 }),
    }),
  },
);

interface Written {
  line: string;
  /** The physical file generation the line was written to. */
  generation: number;
}

async function runScenario(ops: Op[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'file-model-'));
  const positionsFile = join(dir, 'positions.yaml');
  const paths = [join(dir, 'f0.log'), join(dir, 'f1.log')];
  const generation = [0, 1];
  let nextGeneration = 2;
  let seq = 0;
  let rotations = 0;
  const written: Written[] = [];
  const received: string[] = [];
  const targets = [{ __path__: join(dir, '*.log'), job: 'model' }];
  let run: RunningFileSource | undefined;

  const start = async () => {
    run = await startFileSource(positionsFile, targets);
  };
  const harvest = () => {
    if (!run) return;
    received.push(...run.received.splice(0).map((e) => e.line));
  };
  const settle = async () => {
    await expect
      .poll(
        () => {
          harvest();
          return received.length;
        },
        { timeout: 5000, interval: 2 },
      )
      .toBeGreaterThanOrEqual(written.length);
  };
  const newLines = (file: number, n: number) =>
    Array.from({ length: n }, () => {
      const line = `f${file}#${seq++}`;
      written.push({ line, generation: generation[file]! });
      return line;
    });

  try {
    await start();
    for (const op of ops) {
      switch (op.kind) {
        case 'write': {
          const text = newLines(op.file, op.lines).join('\n') + '\n';
          if (op.split) {
            // The last line arrives in two writes: the first half must wait for its newline.
            const cut = text.length - 3;
            await appendFile(paths[op.file]!, text.slice(0, cut));
            await new Promise((r) => setTimeout(r, 2));
            await appendFile(paths[op.file]!, text.slice(cut));
          } else {
            await appendFile(paths[op.file]!, text);
          }
          break;
        }
        case 'rotate': {
          // A line that arrived proves the tailer has this very file open.
          await appendFile(paths[op.file]!, newLines(op.file, 1)[0] + '\n');
          await settle();
          const old = await open(paths[op.file]!, 'a');
          await rename(paths[op.file]!, `${paths[op.file]}.${++rotations}`);
          const late = newLines(op.file, op.lateLines);
          generation[op.file] = nextGeneration++;
          await writeFile(paths[op.file]!, '');
          // The application writes a little more to the old file after the rename.
          if (late.length > 0) await old.write(late.join('\n') + '\n');
          await old.close();
          await settle();
          break;
        }
        case 'copytruncate':
          await settle();
          await appendFile(paths[op.file]!, '');
          await copyFile(paths[op.file]!, `${paths[op.file]}.${++rotations}`);
          await truncate(paths[op.file]!, 0);
          generation[op.file] = nextGeneration++;
          break;
        case 'truncate':
          await settle();
          await appendFile(paths[op.file]!, '');
          await truncate(paths[op.file]!, 0);
          generation[op.file] = nextGeneration++;
          break;
        case 'delete':
          await settle();
          await unlink(paths[op.file]!).catch(() => undefined);
          generation[op.file] = nextGeneration++;
          break;
        case 'restart':
          await run!.stop();
          harvest();
          await start();
          break;
        case 'rotateWhileDown': {
          const path = paths[op.file]!;
          // A line that arrived proves the collector knows this very file (and saves it).
          await appendFile(path, newLines(op.file, 1)[0] + '\n');
          await settle();
          await run!.stop();
          harvest();
          if (op.unread > 0) await appendFile(path, newLines(op.file, op.unread).join('\n') + '\n');
          await rename(path, `${path}.${++rotations}`).catch(() => undefined);
          generation[op.file] = nextGeneration++;
          const fresh = newLines(op.file, op.fresh);
          await writeFile(path, fresh.length > 0 ? fresh.join('\n') + '\n' : '');
          await start();
          break;
        }
        case 'truncateWhileDown': {
          // Lines not yet read when the content is replaced are gone: wait for them first.
          await settle();
          await run!.stop();
          harvest();
          const path = paths[op.file]!;
          await appendFile(path, '');
          await truncate(path, 0);
          generation[op.file] = nextGeneration++;
          const fresh = newLines(op.file, op.fresh);
          if (fresh.length > 0) await appendFile(path, fresh.join('\n') + '\n');
          await start();
          break;
        }
      }
    }
    await settle();
    // Give duplicates a chance to show up before judging.
    await new Promise((r) => setTimeout(r, 20));
    harvest();

    expect(received.length).toBe(written.length);
    expect(new Set(received).size).toBe(received.length);
    expect([...received].sort()).toEqual(written.map((w) => w.line).sort());
    const position = new Map(received.map((line, i) => [line, i]));
    const byGeneration = new Map<number, number[]>();
    for (const w of written) {
      const list = byGeneration.get(w.generation) ?? [];
      list.push(position.get(w.line)!);
      byGeneration.set(w.generation, list);
    }
    for (const [gen, order] of byGeneration) {
      expect({ gen, order }).toEqual({ gen, order: [...order].sort((a, b) => a - b) });
    }
  } finally {
    await run?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const runs = Number(process.env['FILE_MODEL_RUNS'] ?? 25);

describe('file source model', () => {
  it(
    'every line arrives exactly once, in order per file, through rotations, truncations and restarts',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), (ops) => runScenario(ops)),
        { numRuns: runs, endOnFailure: true },
      );
    },
    Math.max(60_000, runs * 1000),
  );
});
