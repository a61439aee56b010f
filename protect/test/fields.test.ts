import { describe, expect, it } from 'vitest';
import { normaliseLevel, readFields, requestContext } from '../src/index.js';

describe('reading fields and context', () => {
  it('reads JSON, logfmt with quoted values, and access-log lines', () => {
    expect(readFields('{"a":1}')).toEqual({ a: 1 });
    expect(readFields('level=info msg="hello \\"you\\"" n=3')).toEqual({
      level: 'info',
      msg: 'hello "you"',
      n: '3',
    });
    expect(
      readFields('10.0.0.1 - bob [11/Mar/2024:09:14:22 +0000] "GET /a?b=1 HTTP/1.1" 200 51 "-" "curl/8"'),
    ).toEqual({
      client_ip: '10.0.0.1',
      user: 'bob',
      method: 'GET',
      url: '/a?b=1',
      status: 200,
      bytes: 51,
      user_agent: 'curl/8',
    });
    expect(readFields('just some words')).toBeUndefined();
    expect(readFields('[1,2]')).toBeUndefined();
  });

  it('maps aliases to canonical names without case or separators, the top level first', () => {
    expect(
      requestContext({
        'X-Request-ID': 'r1',
        correlationId: 'c1',
        UserId: 7,
        remote_addr: '10.0.0.1',
        statusCode: '503',
        latency: '250ms',
        http: { method: 'post', request_id: 'nested-loses' },
      }),
    ).toEqual({
      request_id: 'r1',
      correlation_id: 'c1',
      user_id: '7',
      client_ip: '10.0.0.1',
      status: '503',
      duration_ms: '250',
      method: 'POST',
    });
  });

  it('ignores values that do not fit the field (a status of 42, a method of "get me")', () => {
    expect(requestContext({ status: 42, method: 'get me', duration: 'slow' })).toEqual({});
  });

  it('folds level names and numbers to five levels', () => {
    const cases: [unknown, string | undefined][] = [
      ['TRACE', 'debug'],
      ['Information', 'info'],
      ['notice', 'info'],
      ['WARNING', 'warn'],
      ['err', 'error'],
      ['FATAL', 'critical'],
      [30, 'info'],
      [50, 'error'],
      ['3', 'error'],
      ['7', 'debug'],
      ['verbose', 'debug'],
      ['loud', undefined],
      [true, undefined],
    ];
    for (const [input, expected] of cases) expect(normaliseLevel(input), String(input)).toBe(expected);
  });
});
