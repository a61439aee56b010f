import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * Watches a set of folders (inotify on Linux) and reports each event with the
 * full path it names: `created` is true for creations, deletions and renames
 * (Node's 'rename'), false for writes. Folders that do not exist yet are
 * skipped; the caller's periodic re-listing finds their files anyway.
 */
export class DirWatcher {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(private readonly onEvent: (path: string | undefined, renamed: boolean) => void) {}

  /** Watches exactly `dirs` from now on. */
  update(dirs: ReadonlySet<string>): void {
    for (const [dir, watcher] of this.watchers) {
      if (dirs.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (event, name) => {
          this.onEvent(name ? join(dir, name) : undefined, event === 'rename');
        });
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // The folder does not exist (yet).
      }
    }
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}
