import { describe, expect, it } from 'vitest';
import { compileGoRegexp, findAll } from '../src/go/regexp.js';

const groups = (expr: string, input: string): Record<string, string> | undefined => {
  const re = compileGoRegexp(expr);
  const m = re.regex.exec(input);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  re.groupNames.forEach((name, i) => {
    if (name) out[name] = m[i] ?? '';
  });
  return out;
};
const matches = (expr: string, input: string): boolean => compileGoRegexp(expr).regex.test(input);
const error = (expr: string): string => {
  try {
    compileGoRegexp(expr);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('Go regexp translation', () => {
  it('reads (?P<name>) and (?<name>) groups, numbering them as Go does', () => {
    expect(groups('(?P<a>\\d+)-(x)-(?<b>\\w+)', '12-x-ab')).toEqual({ a: '12', b: 'ab' });
    expect(compileGoRegexp('(?P<a>.)(.)(?P<b>.)').groupNames).toEqual(['', 'a', '', 'b']);
  });

  it('accepts group names JavaScript would refuse (leading digit)', () => {
    expect(groups('(?P<1st>\\w+)', 'abc')).toEqual({ '1st': 'abc' });
  });

  it('applies (?i) to the whole expression or only to its group', () => {
    expect(matches('(?i)error', 'ERROR')).toBe(true);
    expect(matches('^(?i:err)OR$', 'ERROR')).toBe(true);
    expect(matches('^(?i:err)OR$', 'ERRor')).toBe(false);
    expect(matches('^a(?i)b$', 'aB')).toBe(true);
    expect(matches('^a(?i)b$', 'AB')).toBe(false);
    expect(matches('^(?i)[a-c]+$', 'AbC')).toBe(true);
    expect(matches('^x(?i:[a-c]+)$', 'xAbC')).toBe(true);
  });

  it('treats . as Go does: not \\n, but \\r yes; (?s) lets it match \\n', () => {
    expect(matches('^a.b$', 'a\rb')).toBe(true);
    expect(matches('^a.b$', 'a\nb')).toBe(false);
    expect(matches('(?s)^a.b$', 'a\nb')).toBe(true);
  });

  it('anchors ^ and $ to the text, or to lines under (?m)', () => {
    expect(matches('^b$', 'a\nb')).toBe(false);
    expect(matches('(?m)^b$', 'a\nb\nc')).toBe(true);
    expect(matches('\\Aa', 'a\nb')).toBe(true);
    expect(matches('a\\z', 'a\n')).toBe(false);
  });

  it('makes (?U) swap greedy and lazy repetition', () => {
    expect(groups('(?U)(?P<x>a+)', 'aaa')).toEqual({ x: 'a' });
    expect(groups('(?U)(?P<x>a+?)', 'aaa')).toEqual({ x: 'aaa' });
  });

  it("keeps Go's ASCII \\s (no \\v, no Unicode spaces)", () => {
    expect(matches('^\\s$', '\u00a0')).toBe(false);
    expect(matches('^\\s$', '\v')).toBe(false);
    expect(matches('^[^\\S\\n]+$', ' \t')).toBe(true);
  });

  it('knows POSIX classes, negated ones, and Unicode classes', () => {
    expect(matches('^[[:alpha:]]+$', 'abcXYZ')).toBe(true);
    expect(matches('^[[:^digit:]]+$', 'ab')).toBe(true);
    expect(matches('^[[:punct:]]$', '!')).toBe(true);
    expect(matches('^\\pL+$', 'héllo')).toBe(true);
    expect(matches('^\\p{Greek}+$', 'αβγ')).toBe(true);
    expect(matches('^\\PL$', '1')).toBe(true);
    expect(matches('^[\\p{Lu}\\d]+$', 'AB1')).toBe(true);
  });

  it('reads \\Q...\\E, octal, hex and escaped punctuation literally', () => {
    expect(matches('^\\Q1.5*2\\E$', '1.5*2')).toBe(true);
    expect(matches('^\\Q1.5*2\\E$', '115x2')).toBe(false);
    expect(matches('^\\x41\\x{42}\\101$', 'ABA')).toBe(true);
    expect(matches('^\\-\\#\\:\\"$', '-#:"')).toBe(true);
  });

  it('treats a { that is not a repeat as a literal, and ] first in a class as a member', () => {
    expect(matches('^a{$', 'a{')).toBe(true);
    expect(matches('^{foo}$', '{foo}')).toBe(true);
    expect(matches('^[]a]+$', ']a')).toBe(true);
    expect(matches('^a{2,3}$', 'aaa')).toBe(true);
  });

  it("rejects what RE2 rejects, in Go's words", () => {
    expect(error('(?P<ts[0-9]+).*')).toBe('error parsing regexp: invalid named capture: `(?P<ts[0-9]+).*`');
    expect(error('(?P<ts')).toBe('error parsing regexp: invalid named capture: `(?P<ts`');
    expect(error('(a')).toBe('error parsing regexp: missing closing ): `(a`');
    expect(error('a)')).toBe('error parsing regexp: unexpected ): `a)`');
    expect(error('[a')).toBe('error parsing regexp: missing closing ]: `[a`');
    expect(error('(a)\\1')).toBe('error parsing regexp: invalid escape sequence: `\\1`');
    expect(error('a(?=b)')).toContain('invalid or unsupported Perl syntax (RE2 has no lookaround): `(?=`');
    expect(error('a(?<=b)')).toContain('`(?<`');
    expect(error('a**')).toBe('error parsing regexp: invalid nested repetition operator: `**`');
    expect(error('*a')).toBe('error parsing regexp: missing argument to repetition operator: `*`');
    expect(error('a{1001}')).toBe('error parsing regexp: invalid repeat count: `{1001}`');
    expect(error('[z-a]')).toBe('error parsing regexp: invalid character class range: `z-a`');
    expect(error('[[:foo:]]')).toBe('error parsing regexp: invalid character class range: `[:foo:]`');
    expect(error('\\p{Nope}')).toBe('error parsing regexp: invalid character class range: `\\p{Nope}`');
    expect(error('\\Z')).toBe('error parsing regexp: invalid escape sequence: `\\Z`');
    expect(error('a\\')).toBe('error parsing regexp: trailing backslash at end of expression: ``');
    expect(error('(?P<a>x)(?P<a>y)')).toBe('error parsing regexp: duplicate capture group name: `a`');
  });

  it("finds all matches as Go's FindAll does (no empty match right after a match)", () => {
    const spans = findAll(compileGoRegexp('a*'), 'baaac').map((m) => [m.index, m[0]]);
    expect(spans).toEqual([
      [0, ''],
      [1, 'aaa'],
      [5, ''],
    ]);
  });

  it('folds case inside a scoped (?i:...) as Go does, Kelvin sign included', () => {
    expect(matches('^a(?i:k)$', 'a\u212a')).toBe(true);
    expect(matches('(?i)^k$', '\u212a')).toBe(true);
    expect(matches('^A(?i:[x-z])$', 'AY')).toBe(true);
    expect(matches('^A(?i:[x-z])$', 'aY')).toBe(false);
  });

  it('scopes (?s) and (?m) to their group', () => {
    expect(matches('^(?s:a.)b.$', 'a\nbc')).toBe(true);
    expect(matches('^(?s:a.)b.$', 'a\nb\n')).toBe(false);
    expect(matches('(?m:^b)$', 'a\nb')).toBe(true);
  });

  it('reads single-letter Unicode classes and negated named ones', () => {
    expect(matches('^\\pN+$', '12٣')).toBe(true);
    expect(matches('^\\p{^Greek}$', 'a')).toBe(true);
    expect(matches('^\\p{^Greek}$', 'α')).toBe(false);
  });

  it('treats a class escape followed by - as a literal -, as Go does', () => {
    expect(matches('^[\\d-z]+$', '1-z')).toBe(true);
  });

  it('runs \\Q to the end when there is no \\E', () => {
    expect(matches('^a\\Q.*', 'a.*')).toBe(true);
    expect(matches('^a\\Q.*', 'abc')).toBe(false);
  });

  it('reads {,n} as literal text and rejects a leading repeat', () => {
    expect(matches('^a{,3}$', 'a{,3}')).toBe(true);
    expect(error('{2}')).toBe('error parsing regexp: missing argument to repetition operator: `{2}`');
  });

  it('applies (?U) to counted repeats too', () => {
    expect(groups('(?U)^(?P<x>a{1,3})', 'aaa')).toEqual({ x: 'a' });
  });

  it('compiles the CRI and Promtail docs expressions', () => {
    expect(
      groups(
        '^(?s)(?P<time>\\S+?) (?P<stream>stdout|stderr) (?P<flags>\\S+?) (?P<content>.*)$',
        '2019-01-01T01:00:00.000000001Z stderr P test\ngood',
      ),
    ).toEqual({
      time: '2019-01-01T01:00:00.000000001Z',
      stream: 'stderr',
      flags: 'P',
      content: 'test\ngood',
    });
  });
});
