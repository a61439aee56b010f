/** `npm run -w collector docs`: regenerates docs/stages.md and docs/config.md. */
import { writeFileSync } from 'node:fs';
import { stages } from '../pipeline/stages/index.js';
import { renderConfigDoc } from './config_doc.js';
import { renderStagesDoc } from './stages_doc.js';

const root = new URL('../../', import.meta.url);
writeFileSync(
  new URL('docs/stages.md', root),
  renderStagesDoc(stages, new URL('src/pipeline/stages/', root)),
);
writeFileSync(new URL('docs/config.md', root), renderConfigDoc());
process.stdout.write('wrote docs/stages.md and docs/config.md\n');
