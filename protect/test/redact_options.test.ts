import { describe, expect, it } from 'vitest';
import { createRedactor, ProtectConfigError } from '../src/index.js';

describe('redactor options', () => {
  it('hash mode gives the same fingerprint to the same value on different lines, keyed by the hash key', () => {
    const a = createRedactor({ mode: 'hash', hashKey: 'k1' });
    const one = a.redact('{"user":"a","password":"hunter2"}');
    const two = a.redact('level=info password=hunter2 retry=1');
    const hash = /\[HASH:sensitive_key:([0-9a-f]{16})\]/;
    expect(one).toMatch(hash);
    expect(hash.exec(one!)![1]).toBe(hash.exec(two!)![1]);
    expect(one).not.toContain('hunter2');
    const otherKey = createRedactor({ mode: 'hash', hashKey: 'k2' }).redact('password=hunter2');
    expect(hash.exec(otherKey!)![1]).not.toBe(hash.exec(two!)![1]);
    const otherValue = a.redact('password=hunter3');
    expect(hash.exec(otherValue!)![1]).not.toBe(hash.exec(two!)![1]);
  });

  it('hash mode without a key is a configuration error naming hash_key', () => {
    expect(() => createRedactor({ mode: 'hash' })).toThrow(ProtectConfigError);
    try {
      createRedactor({ mode: 'hash' });
    } catch (error) {
      expect((error as ProtectConfigError).field).toBe('hash_key');
    }
  });

  it('drop_line drops a line with a secret and keeps a clean one', () => {
    const r = createRedactor({ mode: 'drop_line' });
    expect(r.redact('card 4111111111111111 charged')).toBeUndefined();
    expect(r.redact('order ORD-2024-1 charged')).toBe('order ORD-2024-1 charged');
  });

  it('disable leaves that kind alone; enable runs only the listed detectors', () => {
    const line = 'mail bob@example.com card 4111111111111111';
    expect(createRedactor({ disable: ['email'] }).redact(line)).toBe(
      'mail bob@example.com card [REDACTED:card_number]',
    );
    expect(createRedactor({ enable: ['email'] }).redact(line)).toBe(
      'mail [REDACTED:email] card 4111111111111111',
    );
  });

  it('rejects an unknown detector name and lists the known ones', () => {
    expect(() => createRedactor({ disable: ['emails'] })).toThrow(/unknown detector "emails".*email/);
  });

  it('extra keys redact their values, numbers included, keeping JSON valid', () => {
    const r = createRedactor({ extraKeys: ['pin', 'national-id'] });
    const out = r.redact('{"pin":1234,"national_id":"AB123456C","id":7}');
    expect(out).toBe('{"pin":"[REDACTED:sensitive_key]","national_id":"[REDACTED:sensitive_key]","id":7}');
    expect(createRedactor().redact('{"pin":1234}')).toBe('{"pin":1234}');
  });

  it('custom patterns redact their whole match under their own name, RE2 (?i) accepted', () => {
    const r = createRedactor({ patterns: [{ name: 'employee_id', regex: '(?i)emp-\\d{6}' }] });
    expect(r.redact('badge EMP-004471 scanned')).toBe('badge [REDACTED:employee_id] scanned');
  });

  it('rejects an invalid custom pattern, saying which one', () => {
    expect(() => createRedactor({ patterns: [{ name: 'x', regex: '(unclosed' }] })).toThrow(
      /invalid regular expression/,
    );
    try {
      createRedactor({
        patterns: [
          { name: 'ok', regex: 'a' },
          { name: 'x', regex: '(' },
        ],
      });
    } catch (error) {
      expect((error as ProtectConfigError).field).toBe('patterns[1].regex');
    }
  });

  it('reports each finding with its detector name', () => {
    const seen: string[] = [];
    createRedactor().redact('password=x1 and bob@example.com and alice@example.com', (d) => seen.push(d));
    expect(seen.sort()).toEqual(['email', 'email', 'sensitive_key']);
  });

  it('does not re-redact or mangle a value that is already a marker', () => {
    const r = createRedactor();
    const once = r.redact('{"authorization":"Bearer abcdef0123456789"}')!;
    expect(once).toBe('{"authorization":"Bearer [REDACTED:authorization]"}');
    expect(r.redact(once)).toBe(once);
  });
});
