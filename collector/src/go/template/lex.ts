/**
 * The lexer of Go's text/template: splits a template into text and the items of
 * each `{{ action }}`, with trim markers (`{{- `, ` -}}`) and comments. Items carry
 * their line so errors read like Go's (`template: name:3: unexpected "}" in operand`).
 */

export type ItemType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'field'
  | 'variable'
  | 'identifier'
  | 'keyword'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'number'
  | 'string'
  | 'rawString'
  | 'charConstant'
  | 'pipe'
  | 'declare'
  | 'assign'
  | 'leftParen'
  | 'rightParen'
  | 'char'
  | 'eof'
  | 'error';

export interface Item {
  type: ItemType;
  value: string;
  line: number;
}

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
]);

/** Go's item.String(), used inside error messages. */
export function describeItem(item: Item): string {
  switch (item.type) {
    case 'eof':
      return 'EOF';
    case 'error':
      return item.value;
    case 'keyword':
      return `<${item.value}>`;
  }
  if (item.value.length > 10) return `${JSON.stringify(item.value.slice(0, 10))}...`;
  return JSON.stringify(item.value);
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined) => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

/** Lexes the whole template eagerly; the last item is `eof` or `error`. */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let line = 1;
  const lineAt = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (input.charCodeAt(i) === 10) line++;
  };
  const emit = (type: ItemType, value: string) => items.push({ type, value, line });

  for (;;) {
    // Text up to the next action.
    const open = input.indexOf('{{', pos);
    if (open < 0) {
      if (pos < input.length) emit('text', input.slice(pos));
      lineAt(pos, input.length);
      emit('eof', '');
      return items;
    }
    let textEnd = open;
    const trimLeft = input[open + 2] === '-' && isSpace(input[open + 3]);
    if (trimLeft) while (textEnd > pos && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > pos) emit('text', input.slice(pos, textEnd));
    lineAt(pos, open);
    pos = open + 2 + (trimLeft ? 2 : 0);

    // A comment is the whole action.
    if (input.startsWith('/*', pos)) {
      const close = input.indexOf('*/', pos + 2);
      if (close < 0) {
        emit('error', 'unclosed comment');
        return items;
      }
      lineAt(pos, close);
      let after = close + 2;
      let trimRight = false;
      if (input.startsWith(' -}}', after) || (isSpace(input[after]) && input.startsWith('-}}', after + 1))) {
        trimRight = true;
        after += 1;
      }
      if (!input.startsWith(trimRight ? '-}}' : '}}', after)) {
        emit('error', 'comment ends before closing delimiter');
        return items;
      }
      pos = after + (trimRight ? 3 : 2);
      if (trimRight) while (isSpace(input[pos])) pos++;
      continue;
    }

    emit('leftDelim', '{{');
    let parenDepth = 0;
    // Inside the action.
    for (;;) {
      if (input.startsWith('-}}', pos) && isSpace(input[pos - 1])) {
        // The space before the marker was emitted already; trim after.
        if (parenDepth > 0) {
          emit('error', 'unclosed left paren');
          return items;
        }
        emit('rightDelim', '}}');
        pos += 3;
        const start = pos;
        while (isSpace(input[pos])) pos++;
        lineAt(start, pos);
        break;
      }
      if (input.startsWith('}}', pos)) {
        if (parenDepth > 0) {
          emit('error', 'unclosed left paren');
          return items;
        }
        emit('rightDelim', '}}');
        pos += 2;
        break;
      }
      const c = input[pos];
      if (c === undefined) {
        emit('error', 'unclosed action');
        return items;
      }
      if (isSpace(c)) {
        const start = pos;
        while (isSpace(input[pos]) && !(input.startsWith('-}}', pos) && pos > start)) {
          if (input[pos] === '\n' && parenDepth === 0) {
            // Go allows newlines inside actions since 1.16.
          }
          pos++;
        }
        lineAt(start, pos);
        emit('space', input.slice(start, pos));
        continue;
      }
      if (c === '=') {
        emit('assign', '=');
        pos++;
      } else if (c === ':') {
        if (input[pos + 1] !== '=') {
          emit('error', 'expected :=');
          return items;
        }
        emit('declare', ':=');
        pos += 2;
      } else if (c === '|') {
        emit('pipe', '|');
        pos++;
      } else if (c === '"') {
        let i = pos + 1;
        for (;;) {
          const d = input[i];
          if (d === '\\') i += 2;
          else if (d === undefined || d === '\n') {
            emit('error', 'unterminated quoted string');
            return items;
          } else if (d === '"') break;
          else i++;
        }
        emit('string', input.slice(pos, i + 1));
        pos = i + 1;
      } else if (c === '`') {
        const close = input.indexOf('`', pos + 1);
        if (close < 0) {
          emit('error', 'unterminated raw quoted string');
          return items;
        }
        emit('rawString', input.slice(pos, close + 1));
        lineAt(pos, close);
        pos = close + 1;
      } else if (c === "'") {
        let i = pos + 1;
        for (;;) {
          const d = input[i];
          if (d === '\\') i += 2;
          else if (d === undefined || d === '\n') {
            emit('error', 'unterminated character constant');
            return items;
          } else if (d === "'") break;
          else i++;
        }
        emit('charConstant', input.slice(pos, i + 1));
        pos = i + 1;
      } else if (c === '$') {
        let i = pos + 1;
        while (isAlphaNumeric(input[i])) i++;
        emit('variable', input.slice(pos, i));
        pos = i;
      } else if (c === '.' && !/[0-9]/.test(input[pos + 1] ?? '')) {
        let i = pos + 1;
        while (isAlphaNumeric(input[i])) i++;
        emit(i === pos + 1 ? 'dot' : 'field', input.slice(pos, i));
        pos = i;
      } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
        const match =
          /^[+-]?(0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*(?:[pP][+-]?[0-9_]+)?|0[bBoO][0-7_]+|(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?)i?/.exec(
            input.slice(pos),
          );
        const text = match?.[0] ?? c;
        if (!match || isAlphaNumeric(input[pos + text.length])) {
          let i = pos + text.length;
          while (isAlphaNumeric(input[i])) i++;
          emit('error', `bad number syntax: ${JSON.stringify(input.slice(pos, i))}`);
          return items;
        }
        emit('number', text);
        pos += text.length;
      } else if (isAlphaNumeric(c)) {
        let i = pos;
        while (isAlphaNumeric(input[i])) i++;
        const word = input.slice(pos, i);
        if (KEYWORDS.has(word)) emit('keyword', word);
        else if (word === 'true' || word === 'false') emit('bool', word);
        else if (word === 'nil') emit('nil', word);
        else emit('identifier', word);
        pos = i;
      } else if (c === '(') {
        parenDepth++;
        emit('leftParen', '(');
        pos++;
      } else if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) {
          emit('error', `unexpected right paren`);
          return items;
        }
        emit('rightParen', ')');
        pos++;
      } else if (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) >= 0x20) {
        emit('char', c);
        pos++;
      } else {
        emit('error', `unrecognized character in action: ${JSON.stringify(c)}`);
        return items;
      }
    }
  }
}
