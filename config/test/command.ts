import { execFile } from 'node:child_process';
import { findBinary } from '@whodunit/testkit';

export interface CommandResult {
  code: number;
  stdout: string;
  /** stdout and stderr together, as a user running the command would read them. */
  output: string;
}

/**
 * Runs one of the stack's own tools (promtool, amtool) and returns its exit code and output.
 * A missing tool fails with testkit's message naming the Debian package to install.
 */
export function runTool(
  binary: string,
  debianPackage: string,
  args: readonly string[],
  cwd?: string,
): Promise<CommandResult> {
  const path = findBinary([binary], debianPackage);
  return new Promise((resolve) => {
    execFile(path, args, { cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}
