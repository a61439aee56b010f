import { describe, expect, it } from 'vitest';
import { BoundedKeys, createSecurityDetector, ProtectConfigError } from '../src/index.js';

const failed = (user: string, ip: string) => JSON.stringify({ event: 'login_failed', user, ip });
const succeeded = (user: string, ip: string) => JSON.stringify({ event: 'login_success', user, ip });
const types = (ds: { type: string }[]) => ds.map((d) => d.type);

describe('failed logins and account takeover', () => {
  it('raises one burst per user when N failures fall within the window, not before', () => {
    const d = createSecurityDetector({ failedLogins: { threshold: 3, windowMs: 60_000 } });
    expect(d.inspect(failed('bob', '10.0.0.1'), 0)).toEqual([]);
    expect(d.inspect(failed('bob', '10.0.0.2'), 10_000)).toEqual([]);
    const burst = d.inspect(failed('bob', '10.0.0.3'), 20_000);
    expect(types(burst)).toEqual(['failed_login_burst']);
    expect(burst[0]!.reason).toBe('3 failed logins for user bob within 60s');
    expect(burst[0]!.severity).toBe('high');
    expect(d.inspect(failed('bob', '10.0.0.4'), 21_000)).toEqual([]); // same burst: no repeat
  });

  it('does not count failures that slid out of the window', () => {
    const d = createSecurityDetector({ failedLogins: { threshold: 3, windowMs: 60_000 } });
    d.inspect(failed('bob', 'a'), 0);
    d.inspect(failed('bob', 'b'), 30_000);
    expect(d.inspect(failed('bob', 'c'), 61_000)).toEqual([]); // the first is 61 s old
    expect(types(d.inspect(failed('bob', 'd'), 62_000))).toEqual(['failed_login_burst']);
  });

  it('counts per IP across users (one attacker spraying many accounts)', () => {
    const d = createSecurityDetector({ failedLogins: { threshold: 3 } });
    d.inspect(failed('u1', '203.0.113.9'), 0);
    d.inspect(failed('u2', '203.0.113.9'), 1);
    const found = d.inspect(failed('u3', '203.0.113.9'), 2);
    expect(found.map((x) => x.reason)).toEqual(['3 failed logins for ip 203.0.113.9 within 60s']);
  });

  it('flags a success right after a burst as a possible account takeover, once', () => {
    const d = createSecurityDetector({ failedLogins: { threshold: 3 } });
    for (let i = 0; i < 3; i++) d.inspect(failed('alice', `198.51.100.${i}`), i * 1000);
    const takeover = d.inspect(succeeded('alice', '198.51.100.7'), 5000);
    expect(types(takeover)).toEqual(['account_takeover']);
    expect(takeover[0]!.severity).toBe('critical');
    expect(d.inspect(succeeded('alice', '198.51.100.7'), 6000)).toEqual([]);
  });

  it('a success after failures spread beyond the window is just a login', () => {
    const d = createSecurityDetector({ failedLogins: { threshold: 3, windowMs: 10_000 } });
    for (let i = 0; i < 3; i++) d.inspect(failed('carol', 'x'), i * 20_000);
    expect(d.inspect(succeeded('carol', 'y'), 61_000)).toEqual([]);
  });

  it('understands sshd lines and access-log POSTs to a login route answered 401', () => {
    const d = createSecurityDetector({ failedLogins: { threshold: 2 } });
    const ssh = (n: number) =>
      `Mar 11 09:14:2${n} web-01 sshd[1240]: Failed password for invalid user admin from 198.51.100.23 port 4002${n} ssh2`;
    d.inspect(ssh(1), 0);
    expect(types(d.inspect(ssh(2), 1))).toEqual(['failed_login_burst', 'failed_login_burst']); // user and IP
    const post = (status: number) =>
      `192.0.2.44 - - [11/Mar/2024:09:14:25 +0000] "POST /api/login HTTP/2.0" ${status} 87 "-" "curl/8.4.0"`;
    const web = createSecurityDetector({ failedLogins: { threshold: 2 } });
    web.inspect(post(401), 0);
    expect(types(web.inspect(post(401), 1))).toEqual(['failed_login_burst']);
    expect(types(web.inspect(post(200), 2))).toEqual(['account_takeover']);
  });

  it('keeps at most maxKeys users and IPs, forgetting the least recently seen', () => {
    const d = createSecurityDetector({
      failedLogins: { threshold: 2, maxKeys: 50 },
      requestFlood: { maxKeys: 50 },
    });
    for (let i = 0; i < 1000; i++) d.inspect(failed(`user${i}`, `10.0.${i >> 8}.${i & 255}`), i);
    expect(d.trackedKeys).toBeLessThanOrEqual(100);
    expect(d.evictedKeys).toBeGreaterThan(0);
  });
});

describe('request floods, privilege changes, exports', () => {
  it('raises a flood when one IP exceeds the rate, once per window, and not for others', () => {
    const d = createSecurityDetector({ requestFlood: { threshold: 100, windowMs: 10_000 } });
    const req = (ip: string) =>
      JSON.stringify({ method: 'GET', path: '/api/items', status: 200, client_ip: ip });
    const floods: string[] = [];
    for (let i = 0; i < 300; i++) {
      floods.push(...types(d.inspect(req('203.0.113.50'), i * 10))); // 100 req/s
      floods.push(...types(d.inspect(req('10.0.0.1'), i * 10 + 5)).map((t) => `${t}:quiet?`));
      if (i % 10 !== 0) continue;
    }
    expect(floods.filter((f) => f === 'request_flood')).toHaveLength(1);
  });

  it('recognises role changes from events, role fields and SQL, not ordinary admin activity', () => {
    const d = createSecurityDetector();
    expect(types(d.inspect('{"action":"user.role.update","user":"root","target":"bob"}', 0))).toEqual([
      'privilege_change',
    ]);
    expect(d.inspect('{"event":"user_updated","old_role":"viewer","new_role":"admin"}', 0)[0]!.reason).toBe(
      'role changed from viewer to admin',
    );
    expect(types(d.inspect('{"query":"ALTER ROLE app WITH SUPERUSER"}', 0))).toEqual(['privilege_change']);
    expect(types(d.inspect('level=info msg="granted admin to mallory" by=eve', 0))).toEqual([
      'privilege_change',
    ]);
    expect(d.inspect('{"msg":"admin settings updated","user":"eve"}', 0)).toEqual([]);
    expect(d.inspect('{"msg":"permission denied","path":"/admin"}', 0)).toEqual([]);
  });

  it('flags exports over the row or byte threshold, high at ten times', () => {
    const d = createSecurityDetector({ dataExport: { maxRows: 1000, maxBytes: 1_000_000 } });
    expect(d.inspect('{"event":"export","rows":999,"user":"bob"}', 0)).toEqual([]);
    expect(d.inspect('{"event":"export","rows":1000,"user":"bob"}', 0)).toEqual([
      {
        type: 'large_data_export',
        severity: 'medium',
        reason: '1000 rows (rows) exported by bob, threshold 1000',
      },
    ]);
    expect(d.inspect('{"bytes_sent":20000000,"ip":"10.0.0.8","path":"/dump"}', 0)[0]!.severity).toBe('high');
  });

  it('finds injections in request fields of JSON and access-log lines', () => {
    const d = createSecurityDetector();
    expect(
      types(
        d.inspect('{"method":"GET","url":"/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--"}', 0),
      ),
    ).toContain('sql_injection');
    const access =
      '203.0.113.9 - - [11/Mar/2024:09:14:22 +0000] "GET /download?file=../../../../etc/passwd HTTP/1.1" 404 0 "-" "sqlmap/1.7"';
    expect(types(d.inspect(access, 0))).toEqual(['path_traversal']);
    expect(d.inspect('{"method":"GET","path":"/search","query":"q=O%27Brien"}', 0)).toEqual([]);
  });

  it('can turn detections off, and rejects unknown names and bad numbers', () => {
    const d = createSecurityDetector({ disable: ['sql_injection'] });
    expect(d.inspect('{"url":"/s?q=1 UNION SELECT 1"}', 0)).toEqual([]);
    expect(() => createSecurityDetector({ disable: ['sqli'] })).toThrow(ProtectConfigError);
    expect(() => createSecurityDetector({ failedLogins: { threshold: 0 } })).toThrow(
      expect.objectContaining({ field: 'failed_logins.threshold' }),
    );
  });
});

describe('BoundedKeys', () => {
  it('evicts the least recently used key, a read counting as a use', () => {
    const keys = new BoundedKeys<number>(2);
    keys.getOrCreate('a', () => 1);
    keys.getOrCreate('b', () => 2);
    keys.get('a');
    keys.getOrCreate('c', () => 3);
    expect(keys.get('b')).toBeUndefined();
    expect(keys.get('a')).toBe(1);
    expect(keys.evicted).toBe(1);
  });
});
