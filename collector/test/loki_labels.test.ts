import { describe, expect, it } from 'vitest';
import { goQuote } from '../src/go/strconv.js';
import { renderLabels } from '../src/loki/labels.js';
import { Backoff, parseRetryAfter } from '../src/sinks/loki/backoff.js';

describe('Loki label text', () => {
  it('sorts names and quotes values as Go strconv.Quote does', () => {
    expect(renderLabels({ job: 'api', env: 'prod', a_b: 'x' })).toBe('{a_b="x", env="prod", job="api"}');
    expect(renderLabels({})).toBe('{}');
  });

  it('escapes quotes, backslashes, control and non-printable characters, keeps printable Unicode', () => {
    expect(goQuote('say "hi" \\ now')).toBe('"say \\"hi\\" \\\\ now"');
    expect(goQuote('a\nb\tc\u0001\u007f')).toBe('"a\\nb\\tc\\x01\\x7f"');
    expect(goQuote('café ☕ 日本')).toBe('"café ☕ 日本"');
    expect(goQuote('nb\u00a0sp\u200bzw')).toBe('"nb\\u00a0sp\\u200bzw"');
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('doubles up to max_period, honours a longer Retry-After up to max_period, and stops after max_retries', () => {
    const backoff = new Backoff({ minPeriodMs: 500, maxPeriodMs: 3000, maxRetries: 4 }, () => 0);
    expect([backoff.nextDelay(), backoff.nextDelay(), backoff.nextDelay(10_000)]).toEqual([250, 500, 3000]);
    expect(backoff.ongoing()).toBe(true);
    backoff.nextDelay();
    expect(backoff.ongoing()).toBe(false);
  });
});
