/**
 * Writes a parsed Go expression as JavaScript regex source for the `u` flag
 * (plus `i` when every case-sensitive atom is case-insensitive). Only Go's
 * captures become capturing groups, so group numbers match Go's.
 */
import type { CharSet, Node } from './ast.js';
import { caseVariants, foldRanges } from './charclass.js';

const SYNTAX = new Set('^$\\.*+?()[]{}|/');
const CLASS_SPECIAL = new Set('\\]^-[');

function codePointText(cp: number, special: Set<string>): string {
  const s = String.fromCodePoint(cp);
  if (special.has(s)) return `\\${s}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) {
    return `\\u{${cp.toString(16)}}`;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return `\\u{${cp.toString(16)}}`;
  return s;
}

function setText(set: CharSet, fold: boolean): string {
  const ranges = fold ? foldRanges(set.ranges) : set.ranges;
  let body = '';
  for (const [lo, hi] of ranges) {
    body += codePointText(lo, CLASS_SPECIAL);
    if (hi > lo) body += (hi > lo + 1 ? '-' : '') + codePointText(hi, CLASS_SPECIAL);
  }
  body += set.properties.join('');
  return `[${set.negated ? '^' : ''}${body}]`;
}

/** True when the whole expression can use JavaScript's global `i` flag. */
export function foldsEverywhere(alternatives: Node[][]): boolean {
  let sawFold = false;
  let sawExact = false;
  const visit = (node: Node): void => {
    if (node.kind === 'literal') {
      if (caseVariants(node.codePoint).length === 0) return;
      if (node.fold) sawFold = true;
      else sawExact = true;
    } else if (node.kind === 'class') {
      if (node.fold) sawFold = true;
      else sawExact = true;
    } else if (node.kind === 'group') node.alternatives.forEach((a) => a.forEach(visit));
    else if (node.kind === 'repeat') visit(node.node);
  };
  alternatives.forEach((a) => a.forEach(visit));
  return sawFold && !sawExact;
}

/** `globalFold`: the `i` flag is on, so atoms need no case expansion of their own. */
export function emit(alternatives: Node[][], globalFold: boolean): string {
  const node = (n: Node): string => {
    switch (n.kind) {
      case 'literal': {
        const variants = n.fold && !globalFold ? caseVariants(n.codePoint) : [];
        if (variants.length === 0) return codePointText(n.codePoint, SYNTAX);
        return `[${[n.codePoint, ...variants].map((c) => codePointText(c, CLASS_SPECIAL)).join('')}]`;
      }
      case 'class':
        return setText(n.set, n.fold && !globalFold);
      case 'any':
        return n.dotAll ? '[^]' : '[^\\n]';
      case 'lineStart':
        return n.multiLine ? '(?<![^\\n])' : '^';
      case 'lineEnd':
        return n.multiLine ? '(?![^\\n])' : '$';
      case 'textStart':
        return '^';
      case 'textEnd':
        return '$';
      case 'wordBoundary':
        return n.negated ? '\\B' : '\\b';
      case 'group':
        return `(${n.capture ? '' : '?:'}${n.alternatives.map((a) => a.map(node).join('')).join('|')})`;
      case 'repeat': {
        let atom = node(n.node);
        const kind = n.node.kind;
        if (kind !== 'literal' && kind !== 'class' && kind !== 'any' && kind !== 'group')
          atom = `(?:${atom})`;
        const { min, max } = n;
        const q =
          min === 0 && max === Infinity
            ? '*'
            : min === 1 && max === Infinity
              ? '+'
              : min === 0 && max === 1
                ? '?'
                : max === Infinity
                  ? `{${min},}`
                  : min === max
                    ? `{${min}}`
                    : `{${min},${max}}`;
        return atom + q + (n.greedy ? '' : '?');
      }
    }
  };
  return alternatives.map((a) => a.map(node).join('')).join('|');
}
