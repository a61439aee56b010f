// Generates sql/API.md from the database catalog, so the page cannot drift from the schema.
//   npm run -w sql api-doc            (starts a throw-away PostgreSQL, migrates, writes API.md)
//   npm run -w sql api-doc -- <url>   (reads an already migrated database)
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readCatalog, type CatalogObject } from './catalog.js';

export const apiDocPath = fileURLToPath(
  new URL(import.meta.url.includes('/dist/src/') ? '../../API.md' : '../API.md', import.meta.url),
);

const cell = (text: string | null) => (text ?? '**(no comment)**').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const roles = (o: CatalogObject) => (o.roles.length === 0 ? 'owner only' : o.roles.join(', '));

function columnsOf(objects: CatalogObject[], relation: string): CatalogObject[] {
  return objects.filter(
    (o) =>
      o.kind === 'column' &&
      o.name.startsWith(`${relation}.`) &&
      !o.name.slice(relation.length + 1).includes('.'),
  );
}

function relationSection(objects: CatalogObject[], rel: CatalogObject): string[] {
  const lines = [
    `### ${rel.kind} \`${rel.name}\``,
    '',
    cell(rel.comment),
    '',
    `Readable by: ${roles(rel)}.`,
    '',
  ];
  if (rel.kind === 'sequence') return lines;
  lines.push('| column | type | description |', '| --- | --- | --- |');
  for (const col of columnsOf(objects, rel.name)) {
    lines.push(`| ${col.name.slice(rel.name.length + 1)} | ${col.type} | ${cell(col.comment)} |`);
  }
  lines.push('');
  return lines;
}

function functionSection(fn: CatalogObject): string[] {
  return [
    `### \`${fn.name}\``,
    '',
    '```sql',
    fn.type,
    '```',
    '',
    cell(fn.comment),
    '',
    `Executable by: ${roles(fn)}.`,
    '',
  ];
}

/** The whole page: public objects (granted to a whodunit role) first, then the internals. */
export function renderApiDoc(objects: CatalogObject[]): string {
  const isPublic = (o: CatalogObject) => o.roles.length > 0;
  const relations = objects.filter((o) => o.kind === 'table' || o.kind === 'view' || o.kind === 'sequence');
  const functions = objects.filter((o) => o.kind === 'function');
  const lines = [
    '# Schema `audit`: API reference',
    '',
    '<!-- Generated from the database catalog by `npm run -w sql api-doc`; do not edit by hand.',
    '     sql/test/catalog.test.ts fails when this page and the catalog differ. -->',
    '',
    'Public objects are those granted to `whodunit_reader`, `whodunit_writer` or `whodunit_admin`;',
    'the CLI, the Grafana plugin, the dashboards and the collector use only these. Internal objects',
    'are listed after them for maintainers.',
    '',
    '## Public functions',
    '',
    ...functions.filter(isPublic).flatMap(functionSection),
    '## Public tables and views',
    '',
    ...relations.filter(isPublic).flatMap((r) => relationSection(objects, r)),
    '## Internal functions',
    '',
    ...functions.filter((f) => !isPublic(f)).flatMap(functionSection),
    '## Internal tables, views and sequences',
    '',
    ...relations.filter((r) => !isPublic(r)).flatMap((r) => relationSection(objects, r)),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

export async function generateApiDoc(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return renderApiDoc(await readCatalog(client));
  } finally {
    await client.end();
  }
}

async function main(argv: string[]): Promise<void> {
  let url = argv[0];
  let stop = async () => {};
  if (url === undefined) {
    // A throw-away server, migrated from scratch: the page documents exactly what the migrations make.
    const { startPostgres } = await import('@whodunit/testkit');
    const { migrate } = await import('./migrate.js');
    const server = await startPostgres({ init: async (u) => void (await migrate(u)) });
    url = server.url;
    stop = () => server.stop();
  }
  try {
    await writeFile(apiDocPath, await generateApiDoc(url));
    console.log(`wrote ${apiDocPath}`);
  } finally {
    await stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
