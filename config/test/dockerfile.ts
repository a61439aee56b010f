import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { repoPath } from '@whodunit/testkit';
import type { ComposeService } from './compose_file.js';

/** One instruction of a Dockerfile, continuation lines joined: `COPY a b` -> { keyword: 'COPY', args: 'a b' }. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** A `FROM` and the instructions up to the next one. */
export interface Stage {
  /** The image as written after FROM, e.g. `node:20.20.2-bookworm-slim`. */
  image: string;
  /** The `AS` name, if any. */
  name?: string;
  instructions: Instruction[];
}

/**
 * The stages of a Dockerfile. Enough of the syntax for our own files: comments, `\`
 * continuations, `FROM image [AS name]`; no parser directives or heredocs.
 */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return;
    const body = trimmed.endsWith('\\') ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { text: `${pending.text} ${body}`, line: pending.line } : { text: body, line: i + 1 };
    if (trimmed.endsWith('\\')) return;
    const [keyword = '', ...rest] = pending.text.trim().split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line });
    pending = undefined;
  });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        image: words[0] ?? '',
        ...(as > 0 && words[as + 1] ? { name: words[as + 1] } : {}),
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** Where a compose service's `build:` puts its context and Dockerfile, relative to the repository root. */
export function buildOf(service: ComposeService): { context: string; dockerfile: string } | undefined {
  const build = service.build as string | { context?: string; dockerfile?: string } | undefined;
  if (build === undefined) return undefined;
  const context = posix.normalize(typeof build === 'string' ? build : (build.context ?? '.'));
  const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
  return { context, dockerfile: posix.join(context, dockerfile) };
}

export function loadDockerfile(path: string): Stage[] {
  return parseDockerfile(readFileSync(repoPath(path), 'utf8'));
}

/** The arguments of every `keyword` instruction of a stage, split into words (JSON form included). */
export function wordsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions
    .filter((i) => i.keyword === keyword)
    .flatMap((i) => (i.args.startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/)));
}

/** The user the image runs as: the final stage's last USER, else the base image's (root for official images). */
export function finalUser(stages: readonly Stage[]): string | undefined {
  return stages
    .at(-1)
    ?.instructions.filter((i) => i.keyword === 'USER')
    .at(-1)?.args;
}

/** Source paths of the COPY/ADD instructions that read the build context (not `--from=` another stage). */
export function contextSources(stages: readonly Stage[]): { path: string; line: number }[] {
  return stages.flatMap((stage) =>
    stage.instructions
      .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
      .filter((i) => !/(^|\s)--from=/.test(i.args))
      .flatMap((i) => {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return words.slice(0, -1).map((path) => ({ path, line: i.line }));
      }),
  );
}

/** The stage names a Dockerfile defines (FROM ... AS name): a FROM naming one is not an image. */
export function stageNames(stages: readonly Stage[]): Set<string> {
  return new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
}
