import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';

/**
 * `__path__` / `__path_exclude__` matching with the semantics of Promtail's
 * doublestar globs: `*` and `?` stay within one path segment and match dot
 * files, `**` spans any number of folders, `{a,b}` and `[a-z]` work. As in
 * Promtail, a `__path__` naming an existing regular file is used as is, so
 * names with glob characters (`app[1].log`) can still be tailed; the exclude
 * pattern removes exact matches. Paths are made absolute against the working
 * directory, which is what the `filename` label shows.
 */
export interface PathMatcher {
  readonly pattern: string;
  /** Files matching now (absolute, sorted), minus the excluded ones. */
  list(): Promise<string[]>;
  /** Whether an absolute path matches the pattern and not the exclusion. */
  matches(path: string): boolean;
  /** The deepest folder with no glob characters: where new files can appear. */
  readonly base: string;
}

const globOptions = {
  absolute: true,
  dot: true,
  onlyFiles: true,
  followSymbolicLinks: true,
  expandDirectories: false,
} as const;

export function createPathMatcher(pathPattern: string, excludePattern?: string): PathMatcher {
  const pattern = resolve(pathPattern);
  const exclude = excludePattern ? resolve(excludePattern) : undefined;
  const isMatch = picomatch(pattern, { dot: true });
  const isExcluded = exclude ? picomatch(exclude, { dot: true }) : () => false;
  const scan = picomatch.scan(pattern);
  const base = scan.isGlob ? scan.base || '/' : dirname(pattern);
  return {
    pattern,
    base,
    matches: (path) => (path === pattern || isMatch(path)) && path !== exclude && !isExcluded(path),
    async list() {
      const found = (await isRegularFile(pattern)) ? [pattern] : await glob([pattern], globOptions);
      return found.filter((p) => p !== exclude && !isExcluded(p)).sort();
    },
  };
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
