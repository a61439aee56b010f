/**
 * `decolorize`: removes ANSI colour and cursor escape sequences from the line.
 *
 *   - decolorize: {}
 *
 * Example: `\x1b[0;32mINFO\x1b[0m started` becomes `INFO started`.
 *
 * Uses the same pattern as Promtail (Loki's decolorizer, after acarl005/stripansi),
 * so sequences it does not know (OSC 8 hyperlinks' text, for one) stay as Promtail
 * leaves them. Takes no options.
 */
import { z } from 'zod';
import { compileGoRegexp } from '../../go/regexp.js';
import { defineStage } from '../stage.js';

const ANSI =
  '[\\x{1B}\\x{9B}][[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\x{07})|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))';

export const decolorize = defineStage({
  name: 'decolorize',
  schema: z.object({}),
  create() {
    const ansi = compileGoRegexp(ANSI).global;
    return {
      process(entry) {
        // Most lines have no escape at all: skip the replace (and its copy) then.
        if (entry.line.includes('\x1b') || entry.line.includes('\x9b'))
          entry.line = entry.line.replace(ansi, '');
        return entry;
      },
    };
  },
});
