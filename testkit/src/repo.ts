import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The repository root, found from this file whether run from src/ or dist/src/. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('/testkit')) dir = dirname(dir);
  return dirname(dir);
})();

/** A path inside the repository. */
export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);
