import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const collectorDir = new URL('../', import.meta.url).pathname;

/**
 * In a process of its own (the setting is process-wide): caps the young
 * generation at 2 MiB semi-spaces, then allocates as a busy collector does,
 * short-lived objects with a window of survivors, and prints the young
 * generation's size.
 */
const script = `
  import { getHeapSpaceStatistics } from 'node:v8';
  import { capYoungGeneration } from './src/young_generation.ts';
  capYoungGeneration(2);
  const window = [];
  for (let i = 0; i < 2_000_000; i++) {
    window.push({ line: 'entry ' + i, labels: { job: 'x' } });
    if (window.length > 5_000) window.shift();
    if (i % 100_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  console.log(space.space_size);
`;

async function youngGenerationBytes(nodeFlags: string[]): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', '--input-type=module', '--eval', script],
    { cwd: collectorDir },
  );
  return Number(stdout.trim());
}

describe('capYoungGeneration', () => {
  it('lets the young generation grow to the size asked for and no further', async () => {
    expect(await youngGenerationBytes([])).toBe(2 * 2 * 1024 * 1024);
  });

  it("leaves it alone when the operator sized it with node's own flags", async () => {
    expect(await youngGenerationBytes(['--max-semi-space-size=8'])).toBeGreaterThan(2 * 2 * 1024 * 1024);
  });
});
