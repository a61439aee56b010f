import { readFileSync } from 'node:fs';
import type { StageDefinition } from '../pipeline/stage.js';
import { stageKeys, typeName } from './stage_keys.js';

/**
 * docs/stages.md, generated from the stage registry: each stage's summary (the
 * first paragraph of the doc comment on top of its file) and its keys (from its
 * schema). `npm run -w collector docs` writes it (src/docs/write_docs.ts); test/docs.test.ts fails when
 * the page and the registry disagree.
 */
export function renderStagesDoc(registry: Record<string, StageDefinition>, stagesDir: URL): string {
  const names = Object.keys(registry).sort();
  let out = `# Pipeline stages

Generated from the stage registry (\`src/pipeline/stages/index.ts\`) by \`npm run -w collector docs\`;
do not edit by hand. Each stage's full reference, with a worked example, is the doc comment on top of
\`src/pipeline/stages/<name>.ts\`, and its behaviour is pinned by \`<name>.cases.yaml\` beside it.
Unknown option keys are warnings (Promtail ignores them); wrong values are errors.

| stage | what it does |
| --- | --- |
`;
  for (const name of names) {
    const first = firstSentence(summary(name, stagesDir)).replace(/\|/g, '\\|');
    out += `| [\`${name}\`](#${name}) | ${first} |\n`;
  }
  for (const name of names) {
    const definition = registry[name] as StageDefinition;
    out += `\n## ${name}\n\n${summary(name, stagesDir)}\n\n`;
    const keys = stageKeys(definition.schema);
    if (!keys) {
      out += `Options: ${typeName(definition.schema)}.\n`;
      continue;
    }
    out += '| key | type | required | default |\n| --- | --- | --- | --- |\n';
    for (const key of keys) {
      const type = key.type.replace(/\|/g, '\\|');
      out += `| \`${key.name}\` | ${type} | ${key.required ? 'yes' : 'no'} | ${key.default === undefined ? '' : `\`${key.default}\``} |\n`;
    }
  }
  return out;
}

/** First paragraph of the file's top doc comment, joined into one line. */
function summary(name: string, stagesDir: URL): string {
  const source = readFileSync(new URL(`${name}.ts`, stagesDir), 'utf8');
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const lines = comment.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  const paragraph: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      if (paragraph.length > 0) break;
      continue;
    }
    paragraph.push(line.trim());
  }
  return paragraph.join(' ') || '(no doc comment)';
}

function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}
