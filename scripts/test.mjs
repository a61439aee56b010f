#!/usr/bin/env node
// The one test command (`npm test`). Plain Node with no dependencies on purpose:
// it runs before `npm ci` on a fresh clone, installs what is missing, then runs
// every check and every test of every part and ends with one summary line.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const started = Date.now();
const say = (message) => console.log(`[test] ${message}`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function fail(message) {
  console.error(`[test] ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
}

// --- 1. Node -------------------------------------------------------------
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  fail(`Node.js >= 20.19 is required (found ${process.version})`);
}

// --- 2. System packages -----------------------------------------------------
const isExecutable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const onPath = (name) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => isExecutable(join(dir, name)));
const hasPostgresServer = () => {
  try {
    return readdirSync('/usr/lib/postgresql').some((v) =>
      isExecutable(`/usr/lib/postgresql/${v}/bin/initdb`),
    );
  } catch {
    return onPath('initdb') && onPath('postgres');
  }
};
const systemNeeds = [
  { pkg: 'postgresql', present: hasPostgresServer, what: 'PostgreSQL server (initdb, postgres, pgbench)' },
  {
    pkg: 'prometheus',
    present: () => onPath('prometheus') && onPath('promtool'),
    what: 'prometheus, promtool',
  },
  {
    pkg: 'prometheus-alertmanager',
    present: () => (onPath('prometheus-alertmanager') || onPath('alertmanager')) && onPath('amtool'),
    what: 'alertmanager, amtool',
  },
  {
    pkg: 'chromium',
    present: () => onPath('chromium') || onPath('chromium-browser'),
    what: 'headless Chromium',
  },
];
const missing = systemNeeds.filter((need) => !need.present());
if (missing.length > 0) {
  const names = missing.map((m) => m.pkg);
  if (process.getuid?.() === 0 && onPath('apt-get')) {
    const t = Date.now();
    say(`installing Debian packages: ${names.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = run('apt-get', ['update', '-qq'], { env });
    const install =
      update.status === 0
        ? run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env })
        : update;
    if (install.status !== 0) fail(`apt-get install ${names.join(' ')} failed (exit ${install.status})`);
    say(`installed in ${seconds(t)}`);
  } else {
    fail(
      'missing system packages:\n' +
        missing.map((m) => `  - ${m.pkg}: ${m.what}`).join('\n') +
        `\ninstall them (Debian: sudo apt-get install -y ${names.join(' ')}) or run "npm test" as root`,
    );
  }
}

// --- 3. npm dependencies ----------------------------------------------------
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  const t = Date.now();
  say('installing npm dependencies (npm ci)');
  const ci = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (ci.status !== 0) fail(`npm ci failed (exit ${ci.status})`);
  say(`npm dependencies installed in ${seconds(t)}`);
}

// --- 4. Checks and tests ----------------------------------------------------
const bin = (name) => join(root, 'node_modules', '.bin', name);
const checks = [
  { name: 'typecheck and build (tsc -b)', command: bin('tsc'), args: ['-b'] },
  { name: 'lint (eslint)', command: bin('eslint'), args: ['--max-warnings=0', '.'] },
  { name: 'format (prettier --check)', command: bin('prettier'), args: ['--check', '--log-level=warn', '.'] },
];
let passed = 0;
let failed = 0;
const failures = [];
for (const check of checks) {
  const t = Date.now();
  say(`${check.name} ...`);
  const result = run(check.command, check.args);
  if (result.status === 0) {
    passed++;
    say(`${check.name}: ok (${seconds(t)})`);
  } else {
    failed++;
    failures.push(check.name);
    say(`${check.name}: FAILED (${seconds(t)})`);
  }
}

const resultsDir = join(root, '.test-results');
mkdirSync(resultsDir, { recursive: true });
const report = join(resultsDir, 'vitest.json');
const t = Date.now();
say('tests (vitest) ...');
run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
if (!existsSync(report)) {
  failed++;
  failures.push('vitest produced no report');
} else {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  // A test file that fails before any of its tests run (syntax error, failing
  // beforeAll) counts as one failure, so it can never pass unnoticed.
  for (const file of results.testResults) {
    if (file.status === 'failed' && file.assertionResults.every((a) => a.status !== 'failed')) {
      failed++;
      failures.push(`${file.name.replace(root + '/', '')}: ${file.message?.split('\n')[0] ?? 'failed'}`);
    } else if (file.assertionResults.some((a) => a.status === 'failed')) {
      failures.push(file.name.replace(root + '/', ''));
    }
  }
  if (results.numPendingTests > 0) say(`${results.numPendingTests} tests skipped`);
}
say(`tests done in ${seconds(t)}`);

if (failures.length > 0) say(`failed:\n  ${failures.join('\n  ')}`);
say(`total ${seconds(started)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
