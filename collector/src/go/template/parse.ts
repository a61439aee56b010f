/**
 * The parser of Go's text/template: items from lex.ts to a tree. Checks what Go
 * checks at parse time (functions exist, variables are declared, `{{break}}` sits in
 * a range) and words its errors like Go: `template: NAME:LINE: unexpected "}" in operand`.
 */
import { describeItem, lex, type Item, type ItemType } from './lex.js';

export type Operand =
  | { kind: 'field'; names: string[]; line: number }
  | { kind: 'variable'; name: string; names: string[]; line: number }
  | { kind: 'dot' }
  | { kind: 'identifier'; name: string; line: number }
  | { kind: 'chain'; node: Operand; names: string[]; line: number }
  | { kind: 'pipe'; pipe: Pipe }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string; int: number | undefined; float: number | undefined }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' };

export interface Command {
  args: Operand[];
}

export interface Pipe {
  line: number;
  /** Declared or assigned variables (`$x :=`, `$i, $e := range`). */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | undefined }
  | { kind: 'break' | 'continue' };

/** A template syntax error, worded like Go's. */
export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

const TERM_START = new Set<ItemType>([
  'bool',
  'charConstant',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

/** Go's strconv.Unquote for the literal kinds a template may hold. */
export function unquote(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        out += e;
        break;
      case 'x':
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case 'u':
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      default:
        if (e !== undefined && e >= '0' && e <= '7') {
          out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
          i += 2;
        } else {
          throw new Error(`invalid syntax`);
        }
    }
  }
  return out;
}

function parseNumber(text: string): { int: number | undefined; float: number | undefined } {
  const clean = text.replace(/_/g, '');
  const negative = clean.startsWith('-');
  const unsigned = clean.replace(/^[+-]/, '');
  let int: number | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(unsigned)) int = parseInt(unsigned.slice(2), 16);
  else if (/^0[bB][01]+$/.test(unsigned)) int = parseInt(unsigned.slice(2), 2);
  else if (/^0[oO]?[0-7]+$/.test(unsigned)) int = parseInt(unsigned.replace(/^0[oO]?/, ''), 8);
  else if (/^\d+$/.test(unsigned)) int = Number(unsigned);
  if (int !== undefined && negative) int = -int;
  let float: number | undefined = /^[0-9.eE+-]+$/.test(unsigned) ? Number(clean) : undefined;
  if (float !== undefined && Number.isNaN(float)) float = undefined;
  if (int === undefined && float !== undefined && Number.isInteger(float) && !/[.eE]/.test(unsigned))
    int = float;
  if (int === undefined && float !== undefined && Number.isInteger(float)) int = float;
  return { int, float: float ?? int };
}

/** Parses `text` into a tree; `hasFunction` says which identifiers are callable. */
export function parseTemplate(name: string, text: string, hasFunction: (name: string) => boolean): Node[] {
  const items = lex(text);
  let pos = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  let lastLine = 1;

  const fail = (message: string, line = lastLine): never => {
    throw new TemplateParseError(`template: ${name}:${line}: ${message}`);
  };
  const next = (): Item => {
    const item = items[pos] ?? items[items.length - 1]!;
    if (pos < items.length) pos++;
    lastLine = item.line;
    if (item.type === 'error') fail(item.value, item.line);
    return item;
  };
  const peek = (): Item => items[pos] ?? items[items.length - 1]!;
  const backup = () => pos--;
  const nextNonSpace = (): Item => {
    let item = next();
    while (item.type === 'space') item = next();
    return item;
  };
  const peekNonSpace = (): Item => {
    const item = nextNonSpace();
    backup();
    return item;
  };
  const unexpected = (item: Item, context: string): never =>
    fail(`unexpected ${describeItem(item)} in ${context}`);
  const expect = (type: ItemType, context: string): Item => {
    const item = nextNonSpace();
    if (item.type !== type) unexpected(item, context);
    return item;
  };

  function term(): Operand | undefined {
    const token = nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!hasFunction(token.value)) fail(`function ${JSON.stringify(token.value)} not defined`);
        return { kind: 'identifier', name: token.value, line: token.line };
      case 'dot':
        return { kind: 'dot' };
      case 'nil':
        return { kind: 'nil' };
      case 'variable':
        if (!vars.includes(token.value)) fail(`undefined variable ${JSON.stringify(token.value)}`);
        return { kind: 'variable', name: token.value, names: [], line: token.line };
      case 'field':
        return { kind: 'field', names: [token.value.slice(1)], line: token.line };
      case 'bool':
        return { kind: 'bool', value: token.value === 'true' };
      case 'charConstant': {
        const code = unquote(token.value).codePointAt(0) ?? 0;
        return { kind: 'number', text: token.value, int: code, float: code };
      }
      case 'number': {
        const n = parseNumber(token.value);
        if (n.int === undefined && n.float === undefined)
          fail(`illegal number syntax: ${JSON.stringify(token.value)}`);
        return { kind: 'number', text: token.value, ...n };
      }
      case 'leftParen':
        return { kind: 'pipe', pipe: pipeline('parenthesized pipeline', 'rightParen') };
      case 'string':
      case 'rawString':
        try {
          return { kind: 'string', value: unquote(token.value) };
        } catch {
          return fail(`bad string syntax: ${JSON.stringify(token.value)}`);
        }
    }
    backup();
    return undefined;
  }

  function operand(): Operand | undefined {
    const node = term();
    if (!node) return undefined;
    if (peek().type !== 'field') return node;
    const names: string[] = [];
    while (peek().type === 'field') names.push(next().value.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', names: [...node.names, ...names], line: node.line };
      case 'variable':
        return { kind: 'variable', name: node.name, names, line: node.line };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return fail(`unexpected . after term ${JSON.stringify(names[0])}`);
      default:
        return { kind: 'chain', node, names, line: lastLine };
    }
  }

  function command(): Command {
    const cmd: Command = { args: [] };
    for (;;) {
      peekNonSpace();
      const arg = operand();
      if (arg) cmd.args.push(arg);
      const token = next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') backup();
      else if (token.type !== 'pipe') unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) fail('empty command');
    return cmd;
  }

  function pipeline(context: string, end: ItemType): Pipe {
    const pipe: Pipe = { line: peekNonSpace().line, decl: [], isAssign: false, cmds: [] };
    for (;;) {
      const v = peekNonSpace();
      if (v.type !== 'variable') break;
      const save = pos;
      nextNonSpace();
      const after = peekNonSpace();
      if (after.type === 'assign' || after.type === 'declare') {
        nextNonSpace();
        pipe.isAssign = after.type === 'assign';
        if (pipe.isAssign && !vars.includes(v.value)) fail(`undefined variable ${JSON.stringify(v.value)}`);
        pipe.decl.push(v.value);
        vars.push(v.value);
        break;
      }
      if (after.type === 'char' && after.value === ',') {
        nextNonSpace();
        pipe.decl.push(v.value);
        vars.push(v.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          fail('range can only initialize variables');
        }
        fail(`too many declarations in ${context}`);
      }
      pos = save;
      break;
    }
    for (;;) {
      const token = nextNonSpace();
      if (token.type === end) {
        if (pipe.cmds.length === 0) fail(`missing value for ${context}`);
        pipe.cmds.forEach((cmd, i) => {
          const first = cmd.args[0]!;
          if (i > 0 && ['bool', 'dot', 'nil', 'number', 'string'].includes(first.kind)) {
            fail(`non executable command in pipeline stage ${i + 1}`);
          }
        });
        return pipe;
      }
      if (!TERM_START.has(token.type)) unexpected(token, context);
      backup();
      pipe.cmds.push(command());
    }
  }

  type Terminator = 'end' | 'else' | 'elseIf' | 'elseWith';

  /** Nodes up to `{{end}}` or `{{else}}`, which it consumes and names. */
  function itemList(): [Node[], Terminator] {
    const list: Node[] = [];
    for (;;) {
      if (peekNonSpace().type === 'eof') fail('unexpected EOF');
      const node = textOrAction();
      if (typeof node === 'string') return [list, node];
      if (node) list.push(node);
    }
  }

  function control(kind: 'if' | 'with' | 'range'): Node {
    const saved = vars.length;
    const pipe = pipeline(kind, 'rightDelim');
    if (kind === 'range') rangeDepth++;
    const [list, terminator] = itemList();
    if (kind === 'range') rangeDepth--;
    let elseList: Node[] | undefined;
    if (terminator === 'elseIf' || terminator === 'elseWith') {
      // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one end.
      const nested = control(terminator === 'elseIf' ? 'if' : 'with');
      elseList = [nested];
    } else if (terminator === 'else') {
      const [rest, end] = itemList();
      if (end !== 'end') fail(`expected end; found {{else}}`);
      elseList = rest;
    }
    vars = vars.slice(0, saved);
    return { kind, pipe, list, elseList };
  }

  /** A node, or the name of a terminator keyword (`end`/`else`) for the caller. */
  function textOrAction(): Node | Terminator | undefined {
    const token = nextNonSpace();
    if (token.type === 'text') return { kind: 'text', text: token.value };
    if (token.type !== 'leftDelim') return unexpected(token, 'input');
    const keyword = peekNonSpace();
    if (keyword.type === 'keyword') {
      nextNonSpace();
      switch (keyword.value) {
        case 'end':
          expect('rightDelim', 'end');
          return 'end';
        case 'else': {
          const after = peekNonSpace();
          if (after.type === 'keyword' && (after.value === 'if' || after.value === 'with')) {
            nextNonSpace();
            return after.value === 'if' ? 'elseIf' : 'elseWith';
          }
          expect('rightDelim', 'else');
          return 'else';
        }
        case 'if':
        case 'with':
        case 'range':
          return control(keyword.value);
        case 'break':
        case 'continue':
          if (rangeDepth === 0) fail(`{{${keyword.value}}} outside {{range}}`);
          expect('rightDelim', keyword.value);
          return { kind: keyword.value };
        default:
          return fail(`{{${keyword.value}}} is not supported here (no named templates in pipeline stages)`);
      }
    }
    return { kind: 'action', pipe: pipeline('command', 'rightDelim') };
  }

  const root: Node[] = [];
  for (;;) {
    if (peek().type === 'eof') return root;
    const node = textOrAction();
    if (node === 'end' || node === 'else' || node === 'elseIf' || node === 'elseWith') {
      fail(`unexpected {{${node === 'end' ? 'end' : 'else'}}}`);
    }
    if (node && typeof node !== 'string') root.push(node);
  }
}
