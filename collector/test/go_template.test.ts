/**
 * Go text/template semantics as Promtail's template stage exposes them: syntax,
 * Go's builtins, printing rules, errors. Stage-level behaviour is in
 * src/pipeline/stages/template.cases.yaml.
 */
import { describe, expect, it } from 'vitest';
import { compileGoTemplate, TemplateExecError, TemplateParseError } from '../src/go/template.js';

const run = (text: string, data: Record<string, unknown> = {}) =>
  compileGoTemplate('pipeline_template', text).execute(data as never);
const parseError = (text: string) => {
  try {
    compileGoTemplate('pipeline_template', text);
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateParseError);
    return (err as Error).message;
  }
  throw new Error(`no parse error for ${text}`);
};

describe('Go text/template syntax', () => {
  it('prints fields, literals and pipelines', () => {
    expect(run('{{ .a }}-{{ "q" }}-{{ `raw\\n` }}-{{ 42 }}-{{ true }}', { a: 'x' })).toBe(
      'x-q-raw\\n-42-true',
    );
    expect(run('{{ .a | printf "%s!" | ToUpper }}', { a: 'hi' })).toBe('HI!');
    expect(run('{{ .m.k }}', { m: { k: 'nested' } })).toBe('nested');
  });

  it('prints <no value> for missing keys and errors on fields of a string', () => {
    expect(run('[{{ .nope }}]')).toBe('[<no value>]');
    expect(run('[{{ .nope.deeper }}]')).toBe('[<no value>]');
    expect(() => run('{{ .a.b }}', { a: 'x' })).toThrow(TemplateExecError);
  });

  it('trims whitespace around trim markers and drops comments', () => {
    expect(run('a  {{- "b" -}}  c')).toBe('abc');
    expect(run('a {{/* note */}} b')).toBe('a  b');
    expect(run('a\n{{- /* note */ -}}\nb')).toBe('ab');
    // `{{-3}}` is the number -3, not a trim marker.
    expect(run('{{-3}}')).toBe('-3');
  });

  it('runs if / else if / else, with, range with else, break and continue', () => {
    const t = '{{ if eq .l "a" }}A{{ else if eq .l "b" }}B{{ else }}other{{ end }}';
    expect(['a', 'b', 'c'].map((l) => run(t, { l }))).toEqual(['A', 'B', 'other']);
    expect(run('{{ with .x }}<{{ . }}>{{ else }}none{{ end }}', { x: '' })).toBe('none');
    expect(
      run(
        '{{ range splitList "," "a,b,c,d" }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ if eq . "d" }}{{ break }}{{ end }}{{ . }}{{ end }}',
      ),
    ).toBe('ac');
    expect(run('{{ range .none }}x{{ else }}empty{{ end }}')).toBe('empty');
    expect(run('{{ range $k, $v := dict "b" 2 "a" 1 }}{{ $k }}={{ $v }};{{ end }}')).toBe('a=1;b=2;');
  });

  it('declares and assigns variables in scope', () => {
    expect(run('{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ $y := "c" }}{{ end }}{{ $x }}')).toBe('b');
    expect(run('{{ $ := . }}{{ $.a }}', { a: 'root' })).toBe('root');
  });

  it('short-circuits and/or and returns the deciding operand', () => {
    expect(run('{{ or .a "fallback" }}', { a: '' })).toBe('fallback');
    expect(run('{{ and .a "second" }}', { a: 'x' })).toBe('second');
    expect(run('{{ and .a (fail "not evaluated") }}', { a: '' })).toBe('');
  });

  it('compares like Go, refusing mixed types', () => {
    expect(
      run('{{ eq .a "x" "y" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge "b" "a" }} {{ le 1.5 1.5 }}', { a: 'y' }),
    ).toBe('true true true true true');
    expect(() => run('{{ eq "1" 1 }}')).toThrow('incompatible types for comparison');
    // A missing key is unequal to everything but another missing key, without error.
    expect(
      run(
        '{{ eq .nope "x" }} {{ ne .nope "x" }} {{ eq .nope .other }} {{ if eq .level "error" }}E{{ else }}-{{ end }}',
      ),
    ).toBe('false true true -');
    expect(() => run('{{ lt true false }}')).toThrow('invalid type for comparison');
  });

  it('offers len, index, slice, not, print, println, html, js, urlquery', () => {
    expect(
      run('{{ len "héllo" }} {{ index .a 1 }} {{ slice "abcdef" 1 3 }} {{ not "" }}', { a: ['x', 'y'] }),
    ).toBe('6 y bc true');
    expect(run('{{ print "a" 1 2 "b" }}|{{ println "a" 1 }}')).toBe('a1 2b|a 1\n');
    expect(run(`{{ html "<a href='x'>&" }}`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
    expect(run(`{{ js "it's <b>" }}`)).toBe("it\\'s \\u003Cb\\u003E");
    expect(run('{{ urlquery "a b&c/é" }}')).toBe('a+b%26c%2F%C3%A9');
  });

  it('formats printf verbs like Go', () => {
    expect(run('{{ printf "%5s|%-5s|%05d|%x|%X|%o|%b|%c|%U" "a" "b" 42 255 255 8 5 65 65 }}')).toBe(
      '    a|b    |00042|ff|FF|10|101|A|U+0041',
    );
    expect(run('{{ printf "%.2f|%e|%g|%v|%v|%v" 3.14159 1234.5678 0.000012 1e6 2.5 100000.0 }}')).toBe(
      '3.14|1.234568e+03|1.2e-05|1e+06|2.5|100000',
    );
    expect(run('{{ printf "%q|%t|%v|%d" "a\\"b" true .nope "x" }}')).toBe('"a\\"b"|true|<nil>|%!d(string=x)');
    expect(run('{{ printf "%s %s" "one" }}|{{ printf "%s" "a" "b" }}')).toBe(
      'one %!s(MISSING)|a%!(EXTRA string=b)',
    );
  });

  it('reads number, char and escaped string literals', () => {
    expect(run('{{ 0x1F }} {{ 0o17 }} {{ 1_000 }} {{ \'a\' }} {{ -2.5 }} {{ "tab\\tx\\u00e9" }}')).toBe(
      '31 15 1000 97 -2.5 tab\txé',
    );
  });

  it('checks argument types and counts at execution', () => {
    expect(() => run('{{ ToUpper .nope }}')).toThrow('invalid value; expected string');
    expect(() => run('{{ ToUpper 1 }}')).toThrow('expected string; found 1');
    expect(() => run('{{ ToUpper "a" "b" }}')).toThrow('wrong number of args for ToUpper: want 1 got 2');
    expect(() => run('{{ "a" | "b" }}')).toThrow();
  });
});

describe('parse errors, worded as Go words them', () => {
  it.each([
    ['{{ .Value }', 'template: pipeline_template:1: unexpected "}" in operand'],
    ['{{ nope }}', 'template: pipeline_template:1: function "nope" not defined'],
    ['a\n{{ if .x }}', 'template: pipeline_template:2: unexpected EOF'],
    ['{{ end }}', 'template: pipeline_template:1: unexpected {{end}}'],
    ['{{ $y }}', 'template: pipeline_template:1: undefined variable "$y"'],
    ['{{ }}', 'template: pipeline_template:1: missing value for command'],
    ['{{ "abc }}', 'template: pipeline_template:1: unterminated quoted string'],
    ['{{ break }}', 'template: pipeline_template:1: {{break}} outside {{range}}'],
    ['{{ .a | "b" }}', 'template: pipeline_template:1: non executable command in pipeline stage 2'],
    ['{{ /* x */ }}', 'template: pipeline_template:1: unexpected "/" in command'],
  ])('%j', (text, message) => {
    expect(parseError(text)).toBe(message);
  });
});

describe('Promtail and sprig functions', () => {
  it('hashes value+salt with Hash (SHA3-256) and Sha2Hash (SHA-256)', () => {
    expect(run('{{ Hash .Value "salt" }}', { Value: 'this is PII data' })).toBe(
      '0807ea24e992127128b38e4930f7155013786a4999c73a25910318a793847658',
    );
    expect(run('{{ Sha2Hash .Value "salt" }}', { Value: 'this is PII data' })).toBe(
      '5526fd6f8ad457279cf8ff06453c6cb61bf479fa826e3b099caa6c846f9376f2',
    );
  });

  it('follows Go strings semantics', () => {
    expect(run('{{ Replace "aaaa" "a" "b" 2 }}|{{ Replace "ab" "" "-" -1 }}')).toBe('bbaa|-a-b-');
    expect(run('{{ TrimLeft "xxaxx" "x" }}|{{ TrimRight "xxaxx" "x" }}|{{ TrimSpace "\\t a \\n" }}')).toBe(
      'axx|xxa|a',
    );
  });

  it('expands regex replacements like Go (longest name, ${n}, $$)', () => {
    expect(run('{{ regexReplaceAll "(?P<w>\\\\w+)@" "bob@x" "${w}-$1a-$$" }}')).toBe('bob--$x');
    expect(run('{{ regexReplaceAll "b*" "abc" "-" }}')).toBe('-a-c-');
  });

  it('converts like sprig: cast rules for math, strval for strings', () => {
    expect(
      run('{{ add "3" 4 }} {{ add "08" 1 }} {{ sub 10 "4" }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 2 }}'),
    ).toBe('7 1 6 24 3 1');
    expect(() => run('{{ div 1 0 }}')).toThrow('integer divide by zero');
    expect(run('{{ max 1 5 3 }} {{ min 4 2 }} {{ round 2.345 2 }} {{ floor "2.7" }} {{ int "42" }}')).toBe(
      '5 2 2.35 2 42',
    );
  });

  it('covers the common sprig string, list and encoding functions', () => {
    expect(
      run(
        '{{ "hello world" | title }} {{ upper "a" }} {{ lower "B" }} {{ trim "  x " }} {{ trimAll "$" "$5$" }}',
      ),
    ).toBe('Hello World A b x 5');
    expect(
      run('{{ substr 1 3 "abcdef" }} {{ trunc 3 "abcdef" }} {{ trunc -2 "abcdef" }} {{ repeat 2 "ab" }}'),
    ).toBe('bc abc ef abab');
    expect(
      run('{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "lo" "hello" }}'),
    ).toBe('true true true');
    expect(
      run('{{ replace " " "_" "a b c" }} {{ quote "a" 1 }} {{ squote "a" }} {{ cat "a" 1 nil "b" }}'),
    ).toBe('a_b_c "a" "1" \'a\' a 1 b');
    expect(
      run('{{ (split "." "a.b.c")._1 }} {{ join "-" (splitList "." "a.b") }} {{ last (list 1 2 3) }}'),
    ).toBe('b a-b 3');
    expect(
      run(
        '{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ b64dec "%%" }} {{ b32enc "hi" }} {{ b32dec "NBUQ====" }}',
      ),
    ).toBe('aGk= hi illegal base64 data at input byte 0 NBUQ==== hi');
    expect(run('{{ sha256sum "a" | trunc 8 }} {{ sha1sum "a" | trunc 8 }} {{ adler32sum "a" }}')).toBe(
      'ca978112 86f7e437 6422626',
    );
    expect(run('{{ toJson (dict "k" "<v>" "n" 1.5) }} {{ (fromJson "{\\"a\\":[1,2]}").a }}')).toBe(
      '{"k":"\\u003cv\\u003e","n":1.5} [1 2]',
    );
    expect(
      run(
        '{{ default "d" "" }} {{ default "d" "v" }} {{ empty "" }} {{ coalesce "" "x" }} {{ ternary "y" "n" true }}',
      ),
    ).toBe('d v true x y');
    expect(
      run(
        '{{ regexMatch "^a.c$" "abc" }} {{ regexFind "[0-9]+" "ab12cd34" }} {{ regexFindAll "[0-9]" "a1b2c3" 2 }} {{ regexSplit "," "a,b,c" -1 }}',
      ),
    ).toBe('true 12 [1 2] [a b c]');
  });
});
