import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const MiB = 1024 * 1024;

/**
 * Keeps V8's young generation (two semi-spaces) at `semiSpaceMiB` each instead
 * of the 16 MiB V8 grows them to under any steady allocation: 24 MiB of
 * resident memory saved at 4 MiB, for a collector whose young objects (a file
 * batch of entries, about 0.8 MB) die within one batch.
 *
 * `--max-semi-space-size` would say it, but only on the command line: V8 reads
 * it once, at start-up, and `node dist/src/cli.js` (the image's entrypoint, the
 * benchmark) passes no flags. What V8 reads at each growth is the growth
 * factor, so this steers that: the factor that takes the young generation to
 * the size wanted in one growth (also after V8 shrank it while idle), 1 once
 * it is there, checked after every GC. An operator's own `--max-semi-space-size` or
 * `--min-semi-space-size` (command line or NODE_OPTIONS) wins: then nothing is
 * changed. Returns a function that stops steering (what was set stays).
 */
export function capYoungGeneration(semiSpaceMiB: number): () => void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
    arg.includes('semi-space'),
  );
  const newSpaceBytes = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size;
  if (given || newSpaceBytes() === undefined) return () => undefined;
  const wanted = 2 * semiSpaceMiB * MiB;
  let factor = 0;
  const steer = () => {
    // Growing multiplies the size by the factor: the largest that does not pass `wanted`.
    const next = Math.max(1, Math.floor(wanted / (newSpaceBytes() ?? wanted)));
    if (next === factor) return;
    factor = next;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  steer();
  const observer = new PerformanceObserver(steer);
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
