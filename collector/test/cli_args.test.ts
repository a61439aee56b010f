import { describe, expect, it } from 'vitest';
import { CliArgsError, normalizeArgs, parseCliArgs } from '../src/cli_args.js';

describe('command line parsing', () => {
  it.each([
    [['-config.file=/etc/p.yaml'], '/etc/p.yaml'],
    [['-config.file', '/etc/p.yaml'], '/etc/p.yaml'],
    [['--config.file=/etc/p.yaml'], '/etc/p.yaml'],
    [['--config.file', '/etc/p.yaml'], '/etc/p.yaml'],
  ])('reads %j', (argv, file) => expect(parseCliArgs(argv).configFile).toBe(file));

  it('reads Go bool forms', () => {
    expect(parseCliArgs(['-config.expand-env=true', '-dry-run', '--stdin']).expandEnv).toBe(true);
    expect(parseCliArgs(['-config.expand-env=false']).expandEnv).toBe(false);
    expect(parseCliArgs(['-dry-run=1']).dryRun).toBe(true);
    expect(() => parseCliArgs(['-dry-run=maybe'])).toThrow(CliArgsError);
  });

  it('keeps short flags and values after -- as they are', () => {
    expect(normalizeArgs(['-h', '--', '-x'])).toEqual(['-h', '--', '-x']);
  });

  it('rejects unknown flags and formats', () => {
    expect(() => parseCliArgs(['-config.flie=x'])).toThrow("Unknown option '--config.flie'");
    expect(() => parseCliArgs(['--stdin.format=csv'])).toThrow(
      '--stdin.format must be raw or jsonl (got "csv")',
    );
  });
});
