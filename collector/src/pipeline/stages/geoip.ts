/**
 * `geoip`: looks an IP address up in a MaxMind database and adds what it finds
 * as labels.
 *
 *   - geoip:
 *       db: /etc/GeoLite2-City.mmdb   # MaxMind DB file (required), read once at start-up
 *       source: ip                    # extracted key holding the address (required)
 *       db_type: city                 # city | asn | country (required)
 *
 * Labels set (only those the record has):
 *   city:    geoip_city_name, geoip_country_name, geoip_continent_name,
 *            geoip_continent_code, geoip_location_latitude, geoip_location_longitude,
 *            geoip_postal_code, geoip_timezone, geoip_subdivision_name,
 *            geoip_subdivision_code (the most specific subdivision)
 *   asn:     geoip_autonomous_system_number, geoip_autonomous_system_organization
 *   country: geoip_country_name, geoip_continent_name, geoip_continent_code
 * Names are the English ones.
 *
 * Example: extracted `{ip: "34.120.177.193"}` with a City database gives labels
 * such as `geoip_city_name="Kansas City"`, `geoip_location_latitude="39.1027"`.
 *
 * As in Promtail: results go to the labels (not the extracted map, whatever
 * Promtail's docs say); a missing source, a value that is not an IP address, or an
 * address the database does not know leaves the entry unchanged (counted as
 * `missing_source`, `invalid_ip`, `lookup_failed`; an unknown address is not an error).
 * Where we differ: `db_type: country` works (Promtail accepts it and logs an error
 * per line), any other db_type is a config error, and `source` is required (Promtail
 * accepts its absence and then never does anything).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type * as Mmdb from 'mmdb-lib';
import type { Reader, Response } from 'mmdb-lib';
import { z } from 'zod';
import { defineStage, StageConfigError } from '../stage.js';
import { extractedToString } from '../../go/strconv.js';
import { formatFloatG } from '../../go/template/value.js';

const schema = z.object({
  db: z.string({ error: 'db path cannot be empty' }).min(1, { error: 'db path cannot be empty' }),
  source: z.string({ error: 'source cannot be empty' }).min(1, { error: 'source cannot be empty' }),
  db_type: z.enum(['city', 'asn', 'country'], { error: 'db type should be either city, asn or country' }),
});

interface Names {
  names?: { en?: string };
}
interface GeoRecord {
  city?: Names;
  country?: Names;
  continent?: Names & { code?: string };
  location?: { latitude?: number; longitude?: number; time_zone?: string };
  postal?: { code?: string };
  subdivisions?: Array<Names & { iso_code?: string }>;
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

type Fill = (record: GeoRecord, labels: Record<string, string>) => void;

function setIf(labels: Record<string, string>, name: string, value: string | undefined): void {
  if (value !== undefined && value !== '') labels[name] = value;
}

const fillCountry: Fill = (r, labels) => {
  setIf(labels, 'geoip_country_name', r.country?.names?.en);
  setIf(labels, 'geoip_continent_name', r.continent?.names?.en);
  setIf(labels, 'geoip_continent_code', r.continent?.code);
};

const fillCity: Fill = (r, labels) => {
  setIf(labels, 'geoip_city_name', r.city?.names?.en);
  fillCountry(r, labels);
  setIf(labels, 'geoip_postal_code', r.postal?.code);
  setIf(labels, 'geoip_timezone', r.location?.time_zone);
  const lat = r.location?.latitude;
  const lon = r.location?.longitude;
  if (lat !== undefined && lon !== undefined) {
    labels.geoip_location_latitude = formatFloatG(lat);
    labels.geoip_location_longitude = formatFloatG(lon);
  }
  const sub = r.subdivisions?.at(-1);
  setIf(labels, 'geoip_subdivision_name', sub?.names?.en);
  setIf(labels, 'geoip_subdivision_code', sub?.iso_code);
};

const fillAsn: Fill = (r, labels) => {
  if (r.autonomous_system_number) labels.geoip_autonomous_system_number = String(r.autonomous_system_number);
  setIf(labels, 'geoip_autonomous_system_organization', r.autonomous_system_organization);
};

const FILLS: Record<'city' | 'asn' | 'country', Fill> = {
  city: fillCity,
  asn: fillAsn,
  country: fillCountry,
};

export const geoip = defineStage({
  name: 'geoip',
  schema,
  create(config, ctx) {
    let reader: Reader<Response>;
    try {
      // Loaded here, not at start-up: only configs with a geoip stage pay for it (about 30 ms).
      const { Reader: MmdbReader } = createRequire(import.meta.url)('mmdb-lib') as typeof Mmdb;
      reader = new MmdbReader(readFileSync(config.db));
    } catch (err) {
      throw new StageConfigError(
        'db',
        `cannot open MaxMind database ${config.db}: ${(err as Error).message}`,
      );
    }
    const fill = FILLS[config.db_type];
    const source = config.source;
    return {
      process(entry) {
        const raw = entry.extracted[source];
        if (raw === undefined) {
          ctx.countError('missing_source');
          return entry;
        }
        const ip = extractedToString(raw);
        if (ip === undefined || isIP(ip) === 0) {
          ctx.countError('invalid_ip');
          return entry;
        }
        let record: GeoRecord | null;
        try {
          // The GeoIP2 shapes, read loosely: only the fields used below, all optional.
          record = reader.get(ip) as GeoRecord | null;
        } catch {
          ctx.countError('lookup_failed');
          return entry;
        }
        if (record) fill(record, entry.labels);
        return entry;
      },
    };
  },
});
