import { parser } from '@grafana/lezer-logql';

/**
 * Where @grafana/lezer-logql (the grammar Grafana's query editor uses) could not parse a LogQL
 * expression: one message per error node, with the position and the text there; empty when it
 * parses. The parser recovers from errors instead of throwing, so the error nodes are the only sign.
 */
export function logqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (!node.type.isError) return;
      const near = expr.slice(node.from, node.from + 20);
      errors.push(
        near === '' ? 'unexpected end of expression' : `at ${node.from + 1} near ${JSON.stringify(near)}`,
      );
    },
  });
  return errors;
}
