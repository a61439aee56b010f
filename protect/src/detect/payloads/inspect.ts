/**
 * Looks for injection attempts in the parts of an HTTP request: the path, the query
 * string, the body, and headers an attacker controls (User-Agent, Referer). Each part
 * is decoded first (see decode.ts), then matched against every attack type's rules.
 * At most one detection per attack type, naming the first rule that matched and where.
 */
import type { Detection } from '../detection.js';
import { commandInjection } from './command_injection.js';
import { decodeForInspection } from './decode.js';
import { pathTraversal } from './path_traversal.js';
import type { AttackType } from './rule.js';
import { sqlInjection } from './sql_injection.js';
import { xss } from './xss.js';

export interface RequestParts {
  /** The path without the query (`/a/b`); a full URL or `path?query` is split for you. */
  path?: string;
  query?: string;
  body?: string;
  /** Other attacker-controlled text: User-Agent, Referer, a form field... */
  headers?: readonly string[];
}

export const attackTypes: readonly AttackType[] = [sqlInjection, xss, pathTraversal, commandInjection];

/** Bodies beyond this are inspected only up to it: bounded time per line. */
const maxPartLength = 16 * 1024;

export function inspectRequest(request: RequestParts): Detection[] {
  const parts: [where: string, text: string][] = [];
  let { path, query } = request;
  if (path !== undefined) {
    const at = path.indexOf('?');
    if (at >= 0) {
      query = query === undefined ? path.slice(at + 1) : `${path.slice(at + 1)}&${query}`;
      path = path.slice(0, at);
    }
    parts.push(['path', decodeForInspection(path.slice(0, maxPartLength), false)]);
  }
  if (query !== undefined && query !== '')
    parts.push(['query', decodeForInspection(query.slice(0, maxPartLength), true)]);
  if (request.body !== undefined && request.body !== '') {
    parts.push(['body', decodeForInspection(request.body.slice(0, maxPartLength), true)]);
  }
  for (const header of request.headers ?? [])
    parts.push(['header', decodeForInspection(header.slice(0, maxPartLength), false)]);

  const found: Detection[] = [];
  for (const attack of attackTypes) {
    outer: for (const [where, text] of parts) {
      for (const rule of attack.rules) {
        if (rule.pattern.test(text)) {
          found.push({ type: attack.type, severity: attack.severity, reason: `${rule.what} in ${where}` });
          break outer;
        }
      }
    }
  }
  return found;
}
