import { z } from 'zod';
import { extractedToString } from '../../go/strconv.js';
import { defineStage } from '../stage.js';

/**
 * `output`: replaces the log line with the extracted value at `source`
 * (required). A missing key leaves the line unchanged; a value that cannot be
 * text (a map, a list, null) leaves it unchanged and is counted as
 * `output_not_string`. An empty string does empty the line, as in Promtail.
 *
 *   - json: { expressions: { msg: message } }
 *   - output: { source: msg }
 *   line {"message":"hi","level":"info"} -> line "hi"
 */
export const output = defineStage({
  name: 'output',
  schema: z.object({ source: z.string().min(1) }),
  create({ source }, ctx) {
    return {
      process(entry) {
        const value = entry.extracted[source];
        if (value === undefined) return entry;
        const text = extractedToString(value);
        if (text === undefined) ctx.countError('output_not_string');
        else entry.line = text;
        return entry;
      },
    };
  },
});
