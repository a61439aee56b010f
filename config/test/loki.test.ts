import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import { checkYamlFile, checkYamlText } from './yaml_schema.js';

const lokiFile = repoPath('config/loki/loki.yml');

async function lokiValidator() {
  const schema = JSON.parse(await readFile(repoPath('config/loki/loki.schema.json'), 'utf8')) as object;
  return new Ajv({ allErrors: true, verbose: true, strict: true }).compile(schema);
}

describe('config/loki/loki.yml', () => {
  let validate: Awaited<ReturnType<typeof lokiValidator>>;
  let text: string;
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'whodunit-loki-'));
    validate = await lokiValidator();
    text = await readFile(lokiFile, 'utf8');
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('matches the schema of the keys we use', async () => {
    expect(await checkYamlFile(lokiFile, validate)).toEqual([]);
  });

  it('names the file, line and key path of a misspelt key', async () => {
    const bad = join(scratch, 'loki.yml');
    await writeFile(bad, text.replace('  retention_enabled: true', '  retention_enable: true'));
    const problems = await checkYamlFile(bad, validate);
    const line = text.split('\n').findIndex((l) => l.startsWith('  retention_enabled: true')) + 1;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `loki\\.yml:${line}:3 compactor\\.retention_enable: unknown key; did you mean "retention_enabled"\\? \\(allowed: working_directory, `,
      ),
    );
  });

  it('refuses retention without a delete request store, as Loki 3 does at start', () => {
    const bad = text.replace(/\n {2}delete_request_store: filesystem/, '');
    expect(checkYamlText('loki.yml', bad, validate)).toEqual([
      expect.stringMatching(/^loki\.yml:\d+:\d+ compactor\.delete_request_store: required key is missing$/),
    ]);
  });

  it('names the path and the bad value of a wrong type deep in a list', () => {
    const bad = text.replace('selector: \'{level="error"}\'', 'selector: level=error');
    const problems = checkYamlText('loki.yml', bad, validate);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^loki\.yml:\d+:17 limits_config\.retention_stream\[3\]\.selector: must match pattern .* \(got "level=error"\)$/,
    );
  });

  it('keeps each level for as long as the retention policy says', () => {
    const config = parse(text) as {
      limits_config: { retention_period: string; retention_stream: { selector: string; period: string }[] };
      compactor: { retention_enabled: boolean };
    };
    expect(config.compactor.retention_enabled).toBe(true);
    expect(config.limits_config.retention_period).toBe('720h');
    const periodOf = (level: string) =>
      config.limits_config.retention_stream.find((s) => {
        const match = /^\{level(=~?)"([^"]+)"\}$/.exec(s.selector);
        if (!match) return false;
        return match[1] === '=' ? match[2] === level : new RegExp(`^(?:${match[2]})$`).test(level);
      })?.period;
    expect({
      debug: periodOf('debug'),
      info: periodOf('info'),
      warn: periodOf('warn'),
      error: periodOf('error'),
      critical: periodOf('critical'),
    }).toEqual({ debug: '168h', info: '720h', warn: '2160h', error: '4320h', critical: '8760h' });
  });

  it('says why for every leaf setting: a comment above it or above its block', () => {
    const lines = text.split('\n');
    const indent = (l: string) => l.length - l.trimStart().length;
    const isKey = (l: string) => /^\s*(- )?[a-z_]+:/.test(l);
    const isComment = (l: string) => /^\s*#/.test(l);
    const uncommented = lines.flatMap((line, i) => {
      if (!isKey(line) || !/:\s+\S/.test(line)) return []; // leaves only: `key: value`
      // Walk up through the key's siblings and parents; stop at the first comment.
      let level = indent(line);
      for (let j = i - 1; j >= 0; j--) {
        const above = lines[j] ?? '';
        if (isComment(above) && indent(above) <= level) return [];
        if (isKey(above) && indent(above) < level) level = indent(above);
        if (indent(above) === 0 && isKey(above) && level === 0) break;
      }
      return [`${i + 1}: ${line.trim()}`];
    });
    expect(uncommented).toEqual([]);
  });
});
