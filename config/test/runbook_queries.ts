import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A fenced query of a runbook: its language (the fence's info string) and text. */
export interface RunbookQuery {
  file: string;
  language: string;
  query: string;
}

/** Every ```logql / ```sql / ```promql block of the runbooks (`*.md`) in `dir`. */
export async function readRunbookQueries(dir: string): Promise<RunbookQuery[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  const queries: RunbookQuery[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    for (const [, language = '', query = ''] of text.matchAll(/^```(logql|sql|promql)\n([\s\S]*?)\n```$/gm)) {
      queries.push({ file, language, query });
    }
  }
  return queries;
}
