/**
 * `docker`: reads Docker's JSON log file format,
 * `{"log":"message\n","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"}`.
 *
 *   - docker: {}
 *
 * Example: that line becomes the line `message\n`, with the label
 * `stream="stderr"` and the timestamp 2019-04-30T02:12:41.8443515Z; the extracted
 * map holds `output`, `stream` and `timestamp`.
 *
 * As in Promtail, this is exactly the pipeline
 *   json { expressions: { output: log, stream: stream, timestamp: time } }
 *   labels { stream: }, timestamp { source: timestamp, format: RFC3339Nano }, output { source: output }
 * so it shares their behaviours, surprising ones included:
 *   - The line keeps Docker's trailing newline (`message\n`), as Promtail ships it.
 *   - A line that is not JSON passes unchanged (counted by json as `malformed_json`);
 *     its timestamp is then fudged (the stream's last good one plus 1 ns).
 *   - Docker splits lines over 16 KiB into several records; they are not joined
 *     (neither does Promtail's docker stage).
 * Takes no options.
 */
import { z } from 'zod';
import { defineStage } from '../stage.js';

export const docker = defineStage({
  name: 'docker',
  schema: z.object({}),
  create(_config, ctx) {
    return ctx.buildPipeline(
      [
        { json: { expressions: { output: 'log', stream: 'stream', timestamp: 'time' } } },
        { labels: { stream: null } },
        { timestamp: { source: 'timestamp', format: 'RFC3339Nano' } },
        { output: { source: 'output' } },
      ],
      ctx.path,
    );
  },
});
