/**
 * The per-level sampling recipe of protect/README.md, run through the real stages:
 * context normalises the level label, match + sampling thin debug and info, and
 * nothing at warn or above, nor any security or audit entry, is ever dropped. A
 * token-bucket limit against storms is wrapped the same way.
 */
import { describe, expect, it } from 'vitest';
import { protectPipeline } from './protect_stage_support.js';

const recipe = [
  { context: {} },
  { detect: {} },
  {
    match: {
      selector: '{level="debug", stream!~"security|audit|db_audit"}',
      stages: [{ sampling: { rate: 0.1 } }],
    },
  },
  {
    match: {
      selector: '{level="info", stream!~"security|audit|db_audit"}',
      stages: [{ sampling: { rate: 0.5 } }],
    },
  },
  // A selector needs one matcher that cannot match an empty value: every target has a job.
  {
    match: {
      selector: '{job=~".+", stream!~"security|audit|db_audit"}',
      stages: [{ limit: { rate: 1000, burst: 50_000, drop: true } }],
    },
  },
];

describe('per-level sampling recipe', () => {
  it('keeps about 10 % of debug and 50 % of info, every warn/error/critical, security and audit entry', () => {
    const p = protectPipeline(recipe);
    const n = 2000;
    const count = (lines: string[], labels: Record<string, string> = {}) =>
      p.run(lines, { job: 'app', ...labels }).length;
    const many = (line: string) => Array.from({ length: n }, () => line);

    const debug = count(many('{"level":"DEBUG","msg":"cache miss"}'));
    const info = count(many('level=info msg="request completed"'));
    expect(debug / n).toBeGreaterThan(0.07);
    expect(debug / n).toBeLessThan(0.13);
    expect(info / n).toBeGreaterThan(0.45);
    expect(info / n).toBeLessThan(0.55);

    expect(count(many('{"level":"warning","msg":"slow"}'))).toBe(n);
    expect(count(many('ERROR db down'))).toBe(n);
    expect(count(many('{"level":60,"msg":"fatal"}'))).toBe(n);
    expect(count(many('{"level":"debug","action":"user.delete"}'), { stream: 'audit' })).toBe(n);
    // A debug-level attack: the security copy always survives, whatever happens to the original.
    const attacks = p.run(
      many('{"level":"debug","method":"GET","path":"/q","query":"id=1 UNION SELECT 1"}'),
      {
        job: 'app',
      },
    );
    expect(attacks.filter((e) => e.labels.stream === 'security')).toHaveLength(n);
  });

  it('lets the storm limit drop ordinary lines but never security or audit ones', () => {
    const p = protectPipeline([
      { context: {} },
      {
        match: {
          selector: '{job=~".+", stream!~"security|audit|db_audit"}',
          stages: [{ limit: { rate: 10, burst: 10, drop: true } }],
        },
      },
    ]);
    const storm = Array.from({ length: 100 }, () => '{"level":"error","msg":"retrying"}');
    expect(p.run(storm, { job: 'app' })).toHaveLength(10);
    expect(p.run(storm, { job: 'app', stream: 'audit' })).toHaveLength(100);
    expect(p.run(storm, { job: 'app', stream: 'security' })).toHaveLength(100);
  });
});
