/**
 * Executes a parsed template. The tree is compiled once into closures, so running
 * a template per log line walks no tree and allocates little. Semantics follow Go's
 * text/template: missing map keys print `<no value>`, functions check their
 * argument types, `and`/`or` short-circuit, `range` sets dot and its variables.
 */
import type { Command, Node, Operand, Pipe } from './parse.js';
import { GoFloat, TemplateExecError, isMap, isTrue, printValue, typeName, type GoValue } from './value.js';

/** A parameter's Go type: how an argument is checked before the call. */
export type Param = 'string' | 'int' | 'float' | 'bool' | 'any' | 'value';

export interface GoFunc {
  params: Param[];
  /** Type of the trailing variadic parameter, when the function has one. */
  variadic?: Param;
  /** Throws an Error for Go's `(value, error)` failures. */
  call(...args: GoValue[]): GoValue;
}

export type FuncMap = Readonly<Record<string, GoFunc>>;

interface Variable {
  name: string;
  value: GoValue;
}

interface State {
  vars: Variable[];
}

type Eval = (s: State, dot: GoValue) => GoValue;
type Exec = (s: State, dot: GoValue) => string;
/** A command gets the previous command's result, or NO_FINAL for the first one. */
type EvalCommand = (s: State, dot: GoValue, final: GoValue | typeof NO_FINAL) => GoValue;

const NO_FINAL = Symbol('no final value');

class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}
const BREAK = new LoopSignal('break');
const CONTINUE = new LoopSignal('continue');

function fail(message: string): never {
  throw new TemplateExecError(message);
}

function lookupVar(s: State, name: string): GoValue {
  for (let i = s.vars.length - 1; i >= 0; i--) if (s.vars[i]!.name === name) return s.vars[i]!.value;
  return fail(`undefined variable: ${name}`);
}

function setVar(s: State, name: string, value: GoValue): void {
  for (let i = s.vars.length - 1; i >= 0; i--) {
    if (s.vars[i]!.name === name) {
      s.vars[i]!.value = value;
      return;
    }
  }
  fail(`undefined variable: ${name}`);
}

function field(receiver: GoValue, name: string): GoValue {
  if (receiver === undefined) return undefined;
  if (receiver === null) return fail(`nil pointer evaluating interface {}.${name}`);
  if (isMap(receiver))
    return Object.prototype.hasOwnProperty.call(receiver, name) ? receiver[name] : undefined;
  return fail(`can't evaluate field ${name} in type ${typeName(receiver)}`);
}

function fields(value: GoValue, names: string[]): GoValue {
  let v = value;
  for (const name of names) v = field(v, name);
  return v;
}

/** Checks a computed value against a parameter type (Go's validateType). */
function validate(value: GoValue, param: Param, fn: string): GoValue {
  if (value === undefined) {
    if (param === 'any') return null;
    if (param === 'value') return undefined;
    return fail(`invalid value; expected ${goTypeOf(param)}`);
  }
  const ok =
    param === 'any' ||
    param === 'value' ||
    (param === 'string' && typeof value === 'string') ||
    (param === 'int' && typeof value === 'number') ||
    (param === 'float' && value instanceof GoFloat) ||
    (param === 'bool' && typeof value === 'boolean');
  if (ok) return value;
  // An int where a float64 is wanted is what users mean; Go would refuse, we widen.
  if (param === 'float' && typeof value === 'number') return new GoFloat(value);
  return fail(`wrong type for value; expected ${goTypeOf(param)}; got ${typeName(value)} (calling ${fn})`);
}

function goTypeOf(param: Param): string {
  return {
    string: 'string',
    int: 'int',
    float: 'float64',
    bool: 'bool',
    any: 'interface {}',
    value: 'reflect.Value',
  }[param];
}

function literalText(op: Operand): string {
  switch (op.kind) {
    case 'string':
      return JSON.stringify(op.value);
    case 'number':
      return op.text;
    case 'bool':
      return String(op.value);
    case 'nil':
      return 'nil';
    default:
      return op.kind;
  }
}

/** A literal argument is converted to the parameter type at compile time, as Go does at call time. */
function compileLiteralArg(op: Operand, param: Param): Eval | undefined {
  const found = () => fail(`expected ${goTypeOf(param)}; found ${literalText(op)}`);
  switch (op.kind) {
    case 'string':
      if (param === 'string' || param === 'any' || param === 'value') return () => op.value;
      return found;
    case 'bool':
      if (param === 'bool' || param === 'any' || param === 'value') return () => op.value;
      return found;
    case 'nil':
      if (param === 'any' || param === 'value') return () => null;
      return () => fail(`cannot assign nil to ${goTypeOf(param)}`);
    case 'number': {
      if (param === 'int')
        return op.int === undefined ? () => fail(`expected integer; found ${op.text}`) : () => op.int!;
      if (param === 'float') return () => new GoFloat(op.float!);
      if (param === 'any' || param === 'value') {
        const isFloat =
          /[.eEpP]/.test(op.text) && !/^[+-]?0[xX][0-9a-fA-F_]+$/.test(op.text) && !op.text.startsWith("'");
        const value: GoValue = isFloat || op.int === undefined ? new GoFloat(op.float!) : op.int;
        return () => value;
      }
      return found;
    }
  }
  return undefined;
}

export function compileTemplate(nodes: Node[], funcs: FuncMap): (data: GoValue) => string {
  const run = compileList(nodes, funcs);
  return (data) => {
    const s: State = { vars: [{ name: '$', value: data }] };
    return run(s, data);
  };
}

function compileList(nodes: Node[], funcs: FuncMap): Exec {
  const parts = nodes.map((n) => compileNode(n, funcs));
  if (parts.length === 1) return parts[0]!;
  return (s, dot) => {
    let out = '';
    for (const part of parts) out += part(s, dot);
    return out;
  };
}

function compileNode(node: Node, funcs: FuncMap): Exec {
  switch (node.kind) {
    case 'text': {
      const text = node.text;
      return () => text;
    }
    case 'action': {
      const pipe = compilePipe(node.pipe, funcs);
      if (node.pipe.decl.length > 0) {
        return (s, dot) => {
          pipe(s, dot);
          return '';
        };
      }
      return (s, dot) => {
        const v = pipe(s, dot);
        return typeof v === 'string' ? v : v === null || v === undefined ? '<no value>' : printValue(v);
      };
    }
    case 'break':
      return () => {
        throw BREAK;
      };
    case 'continue':
      return () => {
        throw CONTINUE;
      };
    case 'if':
    case 'with': {
      const isWith = node.kind === 'with';
      const pipe = compilePipe(node.pipe, funcs);
      const list = compileList(node.list, funcs);
      const elseList = node.elseList ? compileList(node.elseList, funcs) : undefined;
      return (s, dot) => {
        const mark = s.vars.length;
        try {
          const v = pipe(s, dot);
          if (isTrue(v)) return list(s, isWith ? v : dot);
          return elseList ? elseList(s, dot) : '';
        } finally {
          s.vars.length = mark;
        }
      };
    }
    case 'range':
      return compileRange(node, funcs);
  }
}

type ControlNode = Extract<Node, { pipe: Pipe; list: Node[] }>;

function compileRange(node: ControlNode, funcs: FuncMap): Exec {
  // The pipe's own declarations are set per element, not from the pipe's value.
  const pipe = compilePipe({ ...node.pipe, decl: [] }, funcs);
  const list = compileList(node.list, funcs);
  const elseList = node.elseList ? compileList(node.elseList, funcs) : undefined;
  const [first, second] = node.pipe.decl;
  return (s, dot) => {
    const mark = s.vars.length;
    try {
      const v = pipe(s, dot);
      let pairs: Array<[GoValue, GoValue]>;
      if (v === undefined || v === null) pairs = [];
      else if (Array.isArray(v)) pairs = v.map((e, i) => [i, e]);
      else if (isMap(v))
        pairs = Object.keys(v)
          .sort()
          .map((k) => [k, v[k]]);
      else if (typeof v === 'number') pairs = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
      else return fail(`range can't iterate over ${printValue(v)}`);
      if (pairs.length === 0) return elseList ? elseList(s, dot) : '';
      let out = '';
      if (first !== undefined) s.vars.push({ name: first, value: undefined });
      if (second !== undefined) s.vars.push({ name: second, value: undefined });
      for (const [key, elem] of pairs) {
        if (second !== undefined) {
          s.vars[mark]!.value = key;
          s.vars[mark + 1]!.value = elem;
        } else if (first !== undefined) {
          // One variable gets the element (Go), except ranging an int, where it is the same.
          s.vars[mark]!.value = elem;
        }
        try {
          out += list(s, elem);
        } catch (err) {
          if (err === BREAK) break;
          if (err !== CONTINUE) throw err;
        }
      }
      return out;
    } finally {
      s.vars.length = mark;
    }
  };
}

function compilePipe(pipe: Pipe, funcs: FuncMap): Eval {
  const cmds = pipe.cmds.map((c) => compileCommand(c, funcs));
  const evalCmds: Eval =
    cmds.length === 1
      ? (s, dot) => cmds[0]!(s, dot, NO_FINAL)
      : (s, dot) => {
          let v: GoValue | typeof NO_FINAL = NO_FINAL;
          for (const cmd of cmds) v = cmd(s, dot, v);
          return v as GoValue;
        };
  if (pipe.decl.length === 0) return evalCmds;
  const name = pipe.decl[0]!;
  return (s, dot) => {
    const v = evalCmds(s, dot);
    if (pipe.isAssign) setVar(s, name, v);
    else s.vars.push({ name, value: v });
    return v;
  };
}

function compileOperand(op: Operand, funcs: FuncMap): Eval {
  switch (op.kind) {
    case 'dot':
      return (_s, dot) => dot;
    case 'field': {
      const names = op.names;
      if (names.length === 1) {
        const name = names[0]!;
        return (_s, dot) => field(dot, name);
      }
      return (_s, dot) => fields(dot, names);
    }
    case 'variable': {
      const { name, names } = op;
      return (s) => fields(lookupVar(s, name), names);
    }
    case 'chain': {
      const inner = compileOperand(op.node, funcs);
      const names = op.names;
      return (s, dot) => fields(inner(s, dot), names);
    }
    case 'pipe':
      return compilePipe(op.pipe, funcs);
    case 'identifier': {
      const call = compileCall(op.name, [], funcs);
      return (s, dot) => call(s, dot, NO_FINAL);
    }
    case 'string': {
      const v = op.value;
      return () => v;
    }
    case 'bool': {
      const v = op.value;
      return () => v;
    }
    case 'nil':
      return () => null;
    case 'number':
      return compileLiteralArg(op, 'any')!;
  }
}

function compileCommand(cmd: Command, funcs: FuncMap): EvalCommand {
  const [head, ...rest] = cmd.args as [Operand, ...Operand[]];
  if (head.kind === 'identifier') return compileCall(head.name, rest, funcs);
  if (head.kind === 'nil') return () => fail('nil is not a command');
  const value = compileOperand(head, funcs);
  const label = head.kind === 'field' ? '.' + head.names.join('.') : head.kind;
  return (s, dot, final) => {
    if (rest.length > 0 || final !== NO_FINAL) fail(`can't give argument to non-function ${label}`);
    return value(s, dot);
  };
}

function compileArg(op: Operand, param: Param, fn: string, funcs: FuncMap): Eval {
  const literal = compileLiteralArg(op, param);
  if (literal) return literal;
  const value = compileOperand(op, funcs);
  return (s, dot) => validate(value(s, dot), param, fn);
}

function compileCall(name: string, argOps: Operand[], funcs: FuncMap): EvalCommand {
  const fn = funcs[name];
  if (!fn) return () => fail(`function ${JSON.stringify(name)} not defined`);
  if (name === 'and' || name === 'or') {
    // Short-circuit: the first falsy (and) or truthy (or) argument is the result.
    const args = argOps.map((op) => compileOperand(op, funcs));
    const stopOn = name === 'or';
    return (s, dot, final) => {
      const total = args.length + (final === NO_FINAL ? 0 : 1);
      if (total < 1) fail(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: GoValue = undefined;
      for (const arg of args) {
        v = arg(s, dot);
        if (isTrue(v) === stopOn) return v;
      }
      return final === NO_FINAL ? v : final;
    };
  }
  const fixed = fn.params.length;
  const paramAt = (i: number): Param => (i < fixed ? fn.params[i]! : fn.variadic!);
  const args = argOps.map((op, i) =>
    i < fixed || fn.variadic ? compileArg(op, paramAt(i), name, funcs) : undefined,
  );
  return (s, dot, final) => {
    const count = argOps.length + (final === NO_FINAL ? 0 : 1);
    if (fn.variadic ? count < fixed : count !== fixed) {
      fail(`wrong number of args for ${name}: want ${fn.variadic ? 'at least ' : ''}${fixed} got ${count}`);
    }
    const values: GoValue[] = new Array(count);
    for (let i = 0; i < args.length; i++) values[i] = args[i]!(s, dot);
    if (final !== NO_FINAL) values[count - 1] = validate(final, paramAt(count - 1), name);
    try {
      return fn.call(...values);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      return fail(`error calling ${name}: ${(err as Error).message}`);
    }
  };
}
