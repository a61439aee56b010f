/**
 * Redaction throughput on JSON log lines of about 220 bytes (1 in 10 holds a secret),
 * every built-in detector on, mask mode, one core.
 *
 *   npx tsx protect/bench/redact.ts      prints `redact: <N> lines/s`
 *   DISABLE=phone,email npx tsx protect/bench/redact.ts   (the cost of some detectors)
 */
import { createRedactor } from '../src/index.js';

const paths = ['/api/orders', '/api/users/42', '/health', '/api/games/7/moves', '/login', '/api/search'];
const secrets = [
  '"password":"correct horse battery"',
  '"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlX2lzX2hlcmVfMTIz"',
  '"card":"4111 1111 1111 1111"',
  '"email":"alice.smith@example.com"',
  '"dsn":"postgres://app:s3cret@db:5432/app"',
];

function line(i: number): string {
  const extra = i % 10 === 0 ? secrets[(i / 10) % secrets.length]! : `"user_id":"u-${1000 + (i % 97)}"`;
  const ts = new Date(Date.UTC(2024, 0, 15, 10, 0, 0, i)).toISOString();
  return (
    `{"ts":"${ts}","level":"info","msg":"request completed","method":"GET","path":"${paths[i % paths.length]}",` +
    `"status":200,"duration_ms":${(i * 7) % 900},"request_id":"7f3c2a10-4b5e-4c1d-9a8b-${String(i).padStart(12, '0')}",` +
    `"ip":"10.0.${i % 256}.${(i * 3) % 256}",${extra}}`
  );
}

const lines = Array.from({ length: 1000 }, (_, i) => line(i));
const averageBytes = Math.round(lines.reduce((n, l) => n + l.length, 0) / lines.length);
const redactor = createRedactor(process.env.DISABLE ? { disable: process.env.DISABLE.split(',') } : {});

let sink = 0;
for (let r = 0; r < 20; r++) for (const l of lines) sink += redactor.redact(l)?.length ?? 0; // warm up

const rounds = 300;
// CPU time of this process, not wall time: the figure is per core and does not
// drop when other processes share the machine.
const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) for (const l of lines) sink += redactor.redact(l)?.length ?? 0;
const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const total = rounds * lines.length;
console.log(
  `redact: ${Math.round(total / cpuSeconds)} lines/s ` +
    `(per CPU second; wall clock ${Math.round(total / wallSeconds)} lines/s; ` +
    `${averageBytes}-byte JSON lines, ${total} lines, checksum ${sink % 997})`,
);
