/** `--name value` options of a benchmark script, with defaults; unknown options are refused. */
export function parseArgs<T extends Record<string, number>>(argv: string[], defaults: T): T {
  const values: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '') ?? '';
    const value = Number(
      String(argv[i + 1])
        .replace(/_/g, '')
        .replace(/,/g, ''),
    );
    if (!(name in defaults) || !Number.isFinite(value)) {
      throw new Error(
        `unknown option or bad value: ${argv[i]} ${argv[i + 1]} (options: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
    }
    values[name] = value;
  }
  return values as T;
}
