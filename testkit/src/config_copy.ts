import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Copies a config file's whole directory (rules, templates and other files it
 * names by relative path) into a fresh temp dir and rewrites only the given
 * strings in the main file: addresses, ports and in-container paths. The rest
 * of the file is exactly what the stack runs.
 */
export async function copyConfig(
  configFile: string,
  replacements: Record<string, string> = {},
  prefix = 'whodunit-config-',
): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await cp(dirname(configFile), dir, { recursive: true });
  const file = join(dir, basename(configFile));
  let text = await readFile(configFile, 'utf8');
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  await writeFile(file, text);
  return { dir, file };
}
