/**
 * Sizes as Promtail reads them (alecthomas/units ParseBase2Bytes): `512`,
 * `100B`, `256KB` or `256KiB` (both 1024-based), `1MB`, `2GB`; units may be
 * combined (`1MB512KB`). Returns bytes, or undefined when not a size.
 */
const UNIT: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([a-zA-Z]+)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  let total = 0;
  for (const [, amount, unit] of parts) {
    const factor = UNIT[(unit as string).toLowerCase()];
    if (factor === undefined) return undefined;
    total += Number(amount) * factor;
  }
  return Math.floor(total);
}
