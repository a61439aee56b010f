/**
 * Go's text/template, as Promtail's template stage runs it: the full action
 * syntax (pipelines, if/else if/else, range with break/continue, with, variables,
 * comments, trim markers, string/raw/char/number literals), Go's builtin functions,
 * the sprig functions pipelines use, and Promtail's own additions.
 *
 *   const t = compileGoTemplate('pipeline_template', '{{ .app | ToUpper }}-{{ .Value }}');
 *   t.execute({ app: 'loki', Value: 'x' }) // 'LOKI-x'
 *
 * Parse errors are thrown at compile time, worded as Go words them
 * (`template: pipeline_template:1: function "nope" not defined`); execution errors
 * throw TemplateExecError. One file per job in ./template/: lex, parse, exec,
 * value (Go values and %v), fmt (printf), builtins, sprig, promtail_funcs, regex_funcs.
 */
import { builtins } from './template/builtins.js';
import { compileTemplate, type FuncMap } from './template/exec.js';
import { parseTemplate } from './template/parse.js';
import { promtailFuncs } from './template/promtail_funcs.js';
import { RegexCache } from './template/regex_funcs.js';
import { sprigFuncs } from './template/sprig.js';
import type { GoValue } from './template/value.js';

export { TemplateParseError } from './template/parse.js';
export { TemplateExecError, GoFloat, type GoValue } from './template/value.js';

export interface GoTemplate {
  /** Runs the template on `data` (usually a map of strings); throws TemplateExecError. */
  execute(data: GoValue): string;
}

/** The function map of Promtail's template stage: Go builtins, sprig, then Promtail's own. */
export function promtailFunctionMap(): FuncMap {
  const regexes = new RegexCache();
  return { ...builtins, ...sprigFuncs(regexes), ...promtailFuncs(regexes) };
}

export function compileGoTemplate(
  name: string,
  text: string,
  funcs: FuncMap = promtailFunctionMap(),
): GoTemplate {
  const tree = parseTemplate(name, text, (fn) => Object.hasOwn(funcs, fn));
  return { execute: compileTemplate(tree, funcs) };
}
