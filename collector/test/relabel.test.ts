import { describe, expect, it } from 'vitest';
import { relabel, relabelConfigSchema, type RelabelConfigInput } from '../src/sources/relabel.js';

function rules(...raw: RelabelConfigInput[]) {
  return raw.map((r) => relabelConfigSchema.parse(r));
}

function configError(raw: unknown): string {
  const res = relabelConfigSchema.safeParse(raw);
  if (res.success) throw new Error('expected a config error');
  return res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

// Cases follow Prometheus's relabel documentation and model/relabel/relabel_test.go.
describe('relabel', () => {
  it('replace: defaults copy the joined source labels into the target', () => {
    const out = relabel({ a: 'foo', b: 'bar' }, rules({ source_labels: ['a', 'b'], target_label: 'c' }));
    expect(out).toEqual({ a: 'foo', b: 'bar', c: 'foo;bar' });
  });

  it('replace: the regex is fully anchored and groups expand in replacement', () => {
    const r = rules({
      source_labels: ['a'],
      regex: 'f(.*)',
      target_label: 'd',
      replacement: 'ch${1}-ch${1}',
    });
    expect(relabel({ a: 'foo' }, r)).toEqual({ a: 'foo', d: 'choo-choo' });
    // "o" alone does not match "foo" because of the anchors, so nothing changes.
    const partial = rules({ source_labels: ['a'], regex: 'o', target_label: 'd', replacement: 'x' });
    expect(relabel({ a: 'foo' }, partial)).toEqual({ a: 'foo' });
  });

  it('replace: an empty result deletes the target label', () => {
    const r = rules({ source_labels: ['missing'], regex: '(.*)', target_label: 'a' });
    expect(relabel({ a: 'foo' }, r)).toEqual({});
  });

  it('replace: the target label may itself be a template', () => {
    const r = rules({
      source_labels: ['a'],
      regex: 'some-([^-]+)-(.*)',
      target_label: '${1}',
      replacement: '${2}',
    });
    expect(relabel({ a: 'some-name-value' }, r)).toEqual({ a: 'some-name-value', name: 'value' });
  });

  it('replace: `$1x` names group "1x", which expands to nothing (Go semantics)', () => {
    const r = rules({ source_labels: ['a'], regex: '(f)oo', target_label: 'b', replacement: '$1x-${1}x' });
    expect(relabel({ a: 'foo' }, r)).toEqual({ a: 'foo', b: '-fx' });
  });

  it('replace: named groups in RE2 syntax', () => {
    const r = rules({
      source_labels: ['__path__'],
      regex: '/var/log/(?P<app>[^/]+)\\.log',
      target_label: 'app',
      replacement: '$app',
    });
    expect(relabel({ __path__: '/var/log/nginx.log' }, r)).toEqual({
      __path__: '/var/log/nginx.log',
      app: 'nginx',
    });
  });

  it('keep and drop decide on the whole target', () => {
    const keep = rules({ source_labels: ['job'], regex: 'api|web', action: 'keep' });
    expect(relabel({ job: 'api' }, keep)).toEqual({ job: 'api' });
    expect(relabel({ job: 'db' }, keep)).toBeUndefined();
    const drop = rules({ source_labels: ['job'], regex: 'db', action: 'DROP' });
    expect(relabel({ job: 'db' }, drop)).toBeUndefined();
    expect(relabel({ job: 'api' }, drop)).toEqual({ job: 'api' });
  });

  it('keep on a missing label matches the empty string', () => {
    expect(relabel({}, rules({ source_labels: ['x'], regex: '', action: 'keep' }))).toEqual({});
  });

  it('labelmap copies matching label names under a new name', () => {
    const r = rules({ regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' });
    expect(relabel({ __meta_kubernetes_pod_label_app: 'web', job: 'x' }, r)).toEqual({
      __meta_kubernetes_pod_label_app: 'web',
      app: 'web',
      job: 'x',
    });
  });

  it('labeldrop and labelkeep filter label names', () => {
    const labels = { a: '1', b: '2', ab: '3' };
    expect(relabel(labels, rules({ regex: 'a.*', action: 'labeldrop' }))).toEqual({ b: '2' });
    expect(relabel(labels, rules({ regex: 'a.*', action: 'labelkeep' }))).toEqual({ a: '1', ab: '3' });
  });

  it('hashmod matches Prometheus (md5, low 8 bytes, big-endian)', () => {
    // Values from Prometheus's relabel_test.go.
    const r = rules({ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 });
    expect(relabel({ c: 'baz' }, r)).toEqual({ c: 'baz', d: '976' });
    expect(relabel({ c: 'foo\nbar' }, r)).toEqual({ c: 'foo\nbar', d: '734' });
  });

  it('lowercase and uppercase', () => {
    const r = rules(
      { source_labels: ['a'], target_label: 'lo', action: 'lowercase' },
      { source_labels: ['a'], target_label: 'up', action: 'uppercase' },
    );
    expect(relabel({ a: 'MiXeD' }, r)).toEqual({ a: 'MiXeD', lo: 'mixed', up: 'MIXED' });
  });

  it('keepequal and dropequal compare with the target label', () => {
    const keep = rules({ source_labels: ['a'], target_label: 'b', action: 'keepequal' });
    expect(relabel({ a: 'x', b: 'x' }, keep)).toEqual({ a: 'x', b: 'x' });
    expect(relabel({ a: 'x', b: 'y' }, keep)).toBeUndefined();
    const drop = rules({ source_labels: ['a'], target_label: 'b', action: 'dropequal' });
    expect(relabel({ a: 'x', b: 'x' }, drop)).toBeUndefined();
  });

  it('the dot matches newlines, as Prometheus compiles (?s:...)', () => {
    const r = rules({ source_labels: ['a'], regex: 'x.y', action: 'keep' });
    expect(relabel({ a: 'x\ny' }, r)).toEqual({ a: 'x\ny' });
  });

  it('rules apply in order and never change the input object', () => {
    const input = { a: 'foo' };
    const r = rules(
      { source_labels: ['a'], target_label: 'b' },
      { source_labels: ['b'], regex: 'foo', target_label: 'c', replacement: 'seen' },
    );
    expect(relabel(input, r)).toEqual({ a: 'foo', b: 'foo', c: 'seen' });
    expect(input).toEqual({ a: 'foo' });
  });

  it('rejects configs Prometheus rejects, naming the field', () => {
    expect(configError({ action: 'replace', source_labels: ['a'] })).toContain(
      "target_label: relabel configuration for replace action requires 'target_label' value",
    );
    expect(configError({ action: 'hashmod', source_labels: ['a'], target_label: 'b' })).toContain(
      'modulus: relabel configuration for hashmod requires non-zero modulus',
    );
    expect(configError({ action: 'labeldrop', regex: 'a', source_labels: ['x'] })).toContain(
      "labeldrop action requires only 'regex'",
    );
    expect(configError({ regex: '(unclosed', target_label: 'x' })).toContain(
      'regex: invalid regular expression',
    );
    expect(configError({ action: 'explode' })).toContain('action');
    expect(configError({ source_labels: ['bad-name'], target_label: 'x' })).toContain(
      'not a valid label name',
    );
  });
});
