/**
 * Credentials recognised by their shape or their surroundings rather than a
 * vendor prefix: private keys, JWTs, Authorization values, URI passwords, session cookies.
 */
import type { Detector } from '../detector.js';

/**
 * A PEM private-key block, whole. Works when the newlines are real and when they
 * are escaped (`\n`) inside a JSON string. A block cut off by line truncation is
 * redacted up to the end of its string or line.
 */
export const privateKey: Detector = {
  name: 'private_key',
  keywords: ['private key'],
  pattern:
    /()(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?=["']|$)))/g,
};

/** Signed or unsigned JWTs: base64url JSON header `eyJ`, payload `eyJ`, signature. */
export const jwt: Detector = {
  name: 'jwt',
  keywords: ['eyj'],
  pattern:
    /()((?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-]))/g,
};

/**
 * The credential after `Bearer` or `Basic`; the scheme word stays. Ordinary prose
 * ("Basic Authentication required") is left alone: a credential has a digit, a
 * base64 symbol, or an upper-case letter after its first character.
 */
export const authorization: Detector = {
  name: 'authorization',
  keywords: ['bearer', 'basic'],
  pattern: /((?<![A-Za-z0-9])(?:[Bb]earer|[Bb]asic|BEARER|BASIC)\s+)([A-Za-z0-9\-._~+/]{8,}=*)/g,
  accept: (secret) => /[0-9=+/._~-]|.[A-Z]/.test(secret),
};

/** The password in `scheme://user:password@host` (postgres, mysql, redis, amqp, http...). */
export const uriPassword: Detector = {
  name: 'uri_password',
  keywords: ['://'],
  pattern: /((?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@"'?#]*:)([^\s@/"'?#]+)(?=@)/g,
};

/** Session cookies by their usual names, in Cookie / Set-Cookie headers or anywhere as `name=value`. */
export const sessionCookie: Detector = {
  name: 'session_cookie',
  keywords: ['sess', 'sid'],
  pattern:
    /((?<![A-Za-z0-9_.-])(?:JSESSIONID|PHPSESSID|ASP\.NET_SessionId|connect\.sid|[A-Za-z0-9]*_session(?:_id)?|session_?id|session|sid)=)([^\s;,"'&\\]+)/gi,
};
