/**
 * Is this line a failed login, a successful one, or neither? Apps say it in many
 * ways: an event name (`login_failed`, `user.login.success`), a message ("Failed
 * password for admin from 1.2.3.4", sshd), a `success: false` field next to a login
 * action, or an access log line of a POST to a login route answered 401.
 */
import type { Fields } from '../../fields/read_fields.js';
import type { RequestContext } from '../../fields/canonical.js';

export type AuthOutcome = 'failure' | 'success';

const loginWords =
  /\b(?:log ?in|log ?on|sign ?in|auth|authentication|authenticate|password|credentials?|sshd?)\b/;
const failureWords =
  /\b(?:fail|failed|failure|invalid|denied|rejected|unsuccessful|incorrect|wrong|bad|unauthori[sz]ed|locked)\b/;
const successWords = /\b(?:succeeded|success|successful|successfully|accepted|ok|granted|logged in)\b/;
const loginRoute = /\/(?:log ?in|sign ?in|signin|auth|session|sessions|token|oauth\/token)\b/;

const eventKeys = ['event', 'action', 'event_type', 'type', 'activity', 'msg', 'message'];

/** Lower-case words of a field value: `user.login.failed` -> `user login failed`. */
const words = (value: unknown) =>
  typeof value === 'string' ? value.toLowerCase().replace(/[._\-:/]+/g, ' ') : '';

export function authOutcome(
  fields: Fields,
  context: RequestContext,
  message: string,
): AuthOutcome | undefined {
  const texts = eventKeys.map((k) => words(fields[k])).filter((t) => t !== '');
  if (texts.length === 0 && message !== '') texts.push(words(message));
  for (const text of texts) {
    if (!loginWords.test(text)) continue;
    const success = typeof fields.success === 'boolean' ? fields.success : undefined;
    if (success === false || failureWords.test(text)) return 'failure';
    if (success === true || successWords.test(text)) return 'success';
  }
  // An HTTP request log: POST to a login route, judged by its status.
  if (
    context.method === 'POST' &&
    context.path !== undefined &&
    loginRoute.test(context.path.toLowerCase())
  ) {
    const status = Number(context.status);
    if (status === 401 || status === 403) return 'failure';
    if (status >= 200 && status < 400) return 'success';
  }
  return undefined;
}

/** sshd and PAM name the user in the message: "for invalid user admin from 1.2.3.4". */
export function userAndIpFromMessage(message: string): { user?: string; ip?: string } {
  const m = /\bfor (?:invalid user |illegal user )?(\S+) from (\S+)/.exec(message);
  return m === null ? {} : { user: m[1]!, ip: m[2]! };
}
