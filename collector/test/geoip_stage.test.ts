/**
 * The geoip stage against small MaxMind databases written by test/mmdb_writer.ts
 * (no GeoIP database ships in a package we can use), built through the real
 * registry and config validation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';
import { buildMmdb } from './mmdb_writer.js';

let dir: string;
let cityDb: string;
let asnDb: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'whodunit-geoip-'));
  cityDb = join(dir, 'city.mmdb');
  asnDb = join(dir, 'asn.mmdb');
  writeFileSync(
    cityDb,
    buildMmdb('GeoIP2-City', {
      '34.120.177.0/24': {
        city: { names: { en: 'Kansas City', de: 'Kansas City' } },
        continent: { code: 'NA', names: { en: 'North America' } },
        country: { iso_code: 'US', names: { en: 'United States' } },
        location: { latitude: 39.1027, longitude: -94.5778, time_zone: 'America/Chicago' },
        postal: { code: '64184' },
        subdivisions: [
          { iso_code: 'XX', names: { en: 'Outer' } },
          { iso_code: 'MO', names: { en: 'Missouri' } },
        ],
      },
      '81.2.69.142/32': {
        country: { names: { en: 'United Kingdom' } },
        continent: { code: 'EU', names: { en: 'Europe' } },
      },
    }),
  );
  writeFileSync(
    asnDb,
    buildMmdb('GeoLite2-ASN', {
      '34.120.0.0/16': {
        autonomous_system_number: 396982,
        autonomous_system_organization: 'GOOGLE-CLOUD-PLATFORM',
      },
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(stage: Record<string, unknown>, ip: string | undefined) {
  const metrics = new Registry();
  const errors: string[] = [];
  const { pipeline, problems } = compilePipeline([{ geoip: stage }], 'pipeline_stages', {
    jobName: 'test',
    logger: silentLogger,
    metrics,
    clock: { now: () => 0n },
  });
  if (problems.some((p) => p.severity === 'error'))
    return { problems: problems.map((p) => p.message), labels: {}, errors };
  const entry = newEntry('line', { job: 'web' }, 0n);
  if (ip !== undefined) entry.extracted.ip = ip;
  const out: Entry[] = [];
  pipeline.push(entry, out);
  return { problems: [], labels: out[0]!.labels, metrics };
}

describe('geoip stage', () => {
  it('adds City fields as labels, with the most specific subdivision', () => {
    const { labels } = run({ db: cityDb, source: 'ip', db_type: 'city' }, '34.120.177.193');
    expect(labels).toEqual({
      job: 'web',
      geoip_city_name: 'Kansas City',
      geoip_country_name: 'United States',
      geoip_continent_name: 'North America',
      geoip_continent_code: 'NA',
      geoip_location_latitude: '39.1027',
      geoip_location_longitude: '-94.5778',
      geoip_postal_code: '64184',
      geoip_timezone: 'America/Chicago',
      geoip_subdivision_name: 'Missouri',
      geoip_subdivision_code: 'MO',
    });
  });

  it('sets only the fields a record has', () => {
    const { labels } = run({ db: cityDb, source: 'ip', db_type: 'city' }, '81.2.69.142');
    expect(labels).toEqual({
      job: 'web',
      geoip_country_name: 'United Kingdom',
      geoip_continent_name: 'Europe',
      geoip_continent_code: 'EU',
    });
  });

  it('adds ASN fields', () => {
    const { labels } = run({ db: asnDb, source: 'ip', db_type: 'asn' }, '34.120.1.1');
    expect(labels).toEqual({
      job: 'web',
      geoip_autonomous_system_number: '396982',
      geoip_autonomous_system_organization: 'GOOGLE-CLOUD-PLATFORM',
    });
  });

  it('adds country fields with db_type country', () => {
    const { labels } = run({ db: cityDb, source: 'ip', db_type: 'country' }, '34.120.177.5');
    expect(labels).toEqual({
      job: 'web',
      geoip_country_name: 'United States',
      geoip_continent_name: 'North America',
      geoip_continent_code: 'NA',
    });
  });

  it('leaves the entry alone for unknown addresses, bad addresses and a missing source, counting the errors', async () => {
    expect(run({ db: cityDb, source: 'ip', db_type: 'city' }, '10.0.0.1').labels).toEqual({ job: 'web' });
    const bad = run({ db: cityDb, source: 'ip', db_type: 'city' }, 'not-an-ip');
    expect(bad.labels).toEqual({ job: 'web' });
    const missing = run({ db: cityDb, source: 'ip', db_type: 'city' }, undefined);
    expect(missing.labels).toEqual({ job: 'web' });
    const text = async (m: Registry | undefined) => (m ? await m.metrics() : '');
    expect(await text(bad.metrics)).toMatch(/reason="invalid_ip".* 1/);
    expect(await text(missing.metrics)).toMatch(/reason="missing_source".* 1/);
  });

  it('refuses a database that cannot be opened and an unknown db_type', () => {
    expect(
      run({ db: join(dir, 'nope.mmdb'), source: 'ip', db_type: 'city' }, '1.1.1.1').problems.join(),
    ).toContain('cannot open MaxMind database');
    expect(run({ db: cityDb, source: 'ip', db_type: 'isp' }, '1.1.1.1').problems.length).toBe(1);
  });
});
