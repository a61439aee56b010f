import { createRequire } from 'node:module';
import type * as LezerLogql from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';
import { compileGoRegexp } from '../go/regexp.js';
import type { Entry } from './entry.js';

/**
 * A LogQL log selector as the `match` stage uses it: a stream selector
 * (`{app="nginx", env=~"prod|dev"}`, operators = != =~ !~, regexes fully
 * anchored as in Prometheus, a missing label counting as "") followed by
 * optional line filters (`|= "text"`, `!= "text"`, `|~ "re"`, `!~ "re"`,
 * with `or` alternatives). Parsed with @grafana/lezer-logql; anything else
 * (parsers, label filters, pattern filters) is rejected at config time.
 */
export type EntryTest = (entry: Entry) => boolean;

export class SelectorError extends Error {}

const require = createRequire(import.meta.url);
/**
 * The LogQL grammar, loaded when the first selector is compiled (then from
 * require's cache): most configs have none, and loading it cost every start
 * about 30 ms of CPU and 5 MB of memory.
 */
const logql = () => (require('@grafana/lezer-logql') as typeof LezerLogql).parser;

export function compileSelector(text: string): EntryTest {
  const tree = logql().parse(text);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        const near = text.slice(node.from, node.from + 12);
        throw new SelectorError(
          near === ''
            ? 'unexpected end of selector'
            : `syntax error at position ${node.from + 1} near ${JSON.stringify(near)}`,
        );
      }
    },
  });
  const logExpr = tree.topNode.getChild('Expr')?.getChild('LogExpr');
  const selector = logExpr?.getChild('Selector');
  if (!logExpr || !selector) throw new SelectorError('expected a stream selector such as {app="nginx"}');

  const source = (node: SyntaxNode) => text.slice(node.from, node.to);
  const tests: EntryTest[] = [];
  let nonEmpty = false;
  for (const matcher of selector.getChildren('Matchers').flatMap(allMatchers)) {
    const name = source(matcher.getChild('Identifier') as SyntaxNode);
    const op = matcher.getChild('Identifier')?.nextSibling;
    const value = unquote(source(matcher.getChild('String') as SyntaxNode));
    const kind = op?.type.name;
    if (kind === 'Eq' || kind === 'Neq') {
      const want = kind === 'Eq';
      tests.push((e) => ((e.labels[name] ?? '') === value) === want);
      if (want ? value !== '' : value === '') nonEmpty = true;
    } else {
      const re = compileGoRegexp(`^(?:${value})$`).regex;
      const want = kind === 'Re';
      tests.push((e) => re.test(e.labels[name] ?? '') === want);
      if (re.test('') !== want) nonEmpty = true;
    }
  }
  if (!nonEmpty) {
    throw new SelectorError(
      'the selector needs at least one equality or regex matcher that does not match the empty value',
    );
  }

  const pipeline = logExpr.getChild('PipelineExpr');
  if (pipeline) {
    for (const stage of pipeline.getChildren('PipelineStage')) {
      const filters = stage.getChild('LineFilters');
      if (!filters) {
        throw new SelectorError(
          `only line filters (|=, !=, |~, !~) are allowed after the selector, not ${JSON.stringify(source(stage))}`,
        );
      }
      for (const filter of allLineFilters(filters)) tests.push(compileLineFilter(filter, source));
    }
  }
  return (entry) => {
    for (const test of tests) if (!test(entry)) return false;
    return true;
  };
}

function allMatchers(node: SyntaxNode): SyntaxNode[] {
  return [...node.getChildren('Matchers').flatMap(allMatchers), ...node.getChildren('Matcher')];
}

function allLineFilters(node: SyntaxNode): SyntaxNode[] {
  return [...node.getChildren('LineFilters').flatMap(allLineFilters), ...node.getChildren('LineFilter')];
}

function compileLineFilter(filter: SyntaxNode, source: (n: SyntaxNode) => string): EntryTest {
  const op = filter.getChild('Filter')?.firstChild?.type.name;
  const values = [
    filter.getChild('String'),
    ...filter.getChildren('OrFilter').map((o) => o.getChild('String')),
  ]
    .filter((n): n is SyntaxNode => n !== null)
    .map((n) => unquote(source(n)));
  switch (op) {
    case 'PipeExact':
      return (e) => values.some((v) => e.line.includes(v));
    case 'Neq':
      return (e) => !values.some((v) => e.line.includes(v));
    case 'PipeMatch': {
      const res = values.map((v) => compileGoRegexp(v).regex);
      return (e) => res.some((re) => re.test(e.line));
    }
    case 'Nre': {
      const res = values.map((v) => compileGoRegexp(v).regex);
      return (e) => !res.some((re) => re.test(e.line));
    }
    default:
      throw new SelectorError(
        `line filter ${JSON.stringify(source(filter))} is not supported; use |=, !=, |~ or !~`,
      );
  }
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  '"': '"',
  "'": "'",
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/** Go's strconv.Unquote for the two string forms LogQL has: "..." with escapes, `...` raw. */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  const body = literal.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, esc: string) => {
    if (esc.length > 1 && /^[xuU]/.test(esc)) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]{3}$/.test(esc)) return String.fromCodePoint(parseInt(esc, 8));
    const simple = ESCAPES[esc];
    if (simple === undefined) throw new SelectorError(`invalid escape "\\${esc}" in ${literal}`);
    return simple;
  });
}
