/**
 * Tokens issued by well-known services, recognised by their documented prefixes.
 * Prefixes make them cheap (keyword gate) and precise (no entropy guessing).
 */
import type { Detector } from '../detector.js';

/** `AKIA...` (long-term) and `ASIA...` (STS) key ids: 4-letter type prefix + 16 base32 chars. */
export const awsAccessKeyId: Detector = {
  name: 'aws_access_key_id',
  keywords: ['akia', 'asia', 'abia', 'acca', 'agpa', 'aida', 'aipa', 'anpa', 'anva', 'apka', 'aroa'],
  pattern:
    /()((?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}(?![A-Za-z0-9]))/g,
};

/**
 * AWS secret access keys are 40 base64 characters with no prefix, as long as a git
 * SHA: only recognised next to their key name, so SHAs are never touched.
 */
export const awsSecretKey: Detector = {
  name: 'aws_secret_key',
  keywords: ['secret'],
  pattern:
    /((?<![A-Za-z0-9])(?:aws)?[_. -]?secret[_. -]?(?:access[_. -]?)?key\\?["']?\s*[:=]\s*\\?["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
};

/** Classic and fine-grained GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_). */
export const githubToken: Detector = {
  name: 'github_token',
  keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  pattern: /()((?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255}))/g,
};

export const gitlabToken: Detector = {
  name: 'gitlab_token',
  keywords: ['glpat-'],
  pattern: /()((?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,})/g,
};

/** Bot, user, app and refresh tokens: xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-. */
export const slackToken: Detector = {
  name: 'slack_token',
  keywords: ['xox'],
  pattern: /()((?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,})/g,
};

/** The path of an incoming-webhook URL is its credential; the host stays readable. */
export const slackWebhook: Detector = {
  name: 'slack_webhook',
  keywords: ['hooks.slack.com'],
  pattern: /(https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)([A-Za-z0-9/_-]{16,})/g,
};

/** Secret and restricted keys (sk_/rk_ live or test) and webhook signing secrets. Publishable pk_ keys are public. */
export const stripeKey: Detector = {
  name: 'stripe_key',
  keywords: ['sk_live', 'sk_test', 'rk_live', 'rk_test', 'whsec_'],
  pattern: /()((?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,}))/g,
};

/** Google API keys: `AIza` + 35 characters. */
export const googleApiKey: Detector = {
  name: 'google_api_key',
  keywords: ['aiza'],
  pattern: /()((?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-]))/g,
};

/** Google OAuth 2 access tokens: `ya29.` + opaque characters. */
export const googleOauthToken: Detector = {
  name: 'google_oauth_token',
  keywords: ['ya29.'],
  pattern: /()((?<![A-Za-z0-9_-])ya29\.[0-9A-Za-z_.-]{20,})/g,
};

export const npmToken: Detector = {
  name: 'npm_token',
  keywords: ['npm_'],
  pattern: /()((?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9]))/g,
};

export const sendgridKey: Detector = {
  name: 'sendgrid_key',
  keywords: ['sg.'],
  pattern: /()((?<![A-Za-z0-9_])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-]))/g,
};
