import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export class MissingBinaryError extends Error {
  constructor(binary: string, debianPackage: string) {
    super(
      `${binary} not found on PATH: install the Debian package ${debianPackage} ` +
        `(as root: apt-get install -y ${debianPackage}); "npm test" installs it when run as root`,
    );
    this.name = 'MissingBinaryError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the first of `names` on PATH or in `extraDirs`. */
export function findBinary(
  names: readonly string[],
  debianPackage: string,
  extraDirs: string[] = [],
): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new MissingBinaryError(names[0] ?? '?', debianPackage);
}

/**
 * PostgreSQL's server binaries (initdb, postgres) live outside PATH on Debian,
 * under /usr/lib/postgresql/<major>/bin. PG_BIN overrides the search.
 */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    const majors = readdirSync('/usr/lib/postgresql')
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((m) => `/usr/lib/postgresql/${m}/bin`));
  } catch {
    // not a Debian layout
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter));
  for (const dir of candidates) {
    if (isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'))) return dir;
  }
  throw new MissingBinaryError('initdb', 'postgresql');
}
