import { describe, expect, it } from 'vitest';
import { protectPipeline } from './protect_stage_support.js';

const failed = (user: string, ip: string) => JSON.stringify({ event: 'login_failed', user, ip });

describe('detect stage', () => {
  it('counts detections in security_events_total{type,severity}', async () => {
    const p = protectPipeline([{ detect: {} }]);
    const out = p.run([
      '{"method":"GET","path":"/q","query":"s=%3Cscript%3Ealert(1)%3C/script%3E"}',
      '{"method":"GET","path":"/files/..%2f..%2f..%2fetc%2fpasswd"}',
      '{"method":"GET","path":"/api/orders","status":200}',
    ]);
    expect(out).toHaveLength(5); // two detections, each with its security copy, and the clean line
    expect(await p.counter('security_events_total')).toEqual({ 'xss,medium': 1, 'path_traversal,high': 1 });
  });

  it('uses the collector clock: failures spread wider than the window make no burst', () => {
    const p = protectPipeline([{ detect: { failed_logins: { threshold: 3, window: '10s' } } }]);
    for (let i = 0; i < 3; i++) {
      expect(p.run([failed('bob', '10.0.0.1')])).toHaveLength(1);
      p.advance(6000);
    }
    p.run([failed('bob', '10.0.0.1')]);
    p.advance(1000);
    const burst = p.run([failed('bob', '10.0.0.1')]);
    expect(burst.map((e) => e.structuredMetadata.security_event)).toEqual([
      'failed_login_burst',
      'failed_login_burst',
    ]);
  });

  it('raises a request flood once per window per IP', () => {
    const p = protectPipeline([{ detect: { request_flood: { threshold: 50, window: '10s' } } }]);
    let floods = 0;
    for (let i = 0; i < 200; i++) {
      floods += p.run([JSON.stringify({ method: 'GET', path: '/', client_ip: '203.0.113.5' })]).length - 1;
      p.advance(20); // 50 requests per second
    }
    expect(floods).toBe(1);
  });
});
