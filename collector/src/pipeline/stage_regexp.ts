import { compileGoRegexp, type GoRegexp } from '../go/regexp.js';
import { StageConfigError } from './stage.js';

/**
 * The `expression` (and `source`) checks that regex and replace share, done as
 * Promtail does them: an empty expression or source is a config error, and a
 * regexp Go would refuse is reported on `expression`.
 */
export function compileStageExpression(
  config: { expression: string; source?: string | null },
  emptySourceMessage: string,
): GoRegexp {
  if (config.expression === '') throw new StageConfigError('expression', 'expression is required');
  if (config.source === '') throw new StageConfigError('source', emptySourceMessage);
  try {
    return compileGoRegexp(config.expression);
  } catch (err) {
    throw new StageConfigError(
      'expression',
      `could not compile regular expression: ${(err as Error).message}`,
    );
  }
}
