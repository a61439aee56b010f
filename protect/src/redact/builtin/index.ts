/**
 * The built-in detectors, in the order they run. Specific shapes come first so a
 * JWT under a `token` key is reported as `jwt`, generic ones (keys, e-mails, phone
 * numbers) last; a detector never re-redacts what an earlier one replaced.
 */
import type { Detector } from '../detector.js';
import { authorization, jwt, privateKey, sessionCookie, uriPassword } from './credentials.js';
import { cardNumber, email, phone, ssn } from './personal_data.js';
import { sensitiveKeyDetector } from './sensitive_keys.js';
import {
  awsAccessKeyId,
  awsSecretKey,
  githubToken,
  gitlabToken,
  googleApiKey,
  googleOauthToken,
  npmToken,
  sendgridKey,
  slackToken,
  slackWebhook,
  stripeKey,
} from './vendor_tokens.js';

export { defaultSensitiveKeys } from './sensitive_keys.js';

export function builtinDetectors(extraKeys: readonly string[] = []): Detector[] {
  return [
    privateKey,
    jwt,
    awsAccessKeyId,
    awsSecretKey,
    githubToken,
    gitlabToken,
    slackToken,
    slackWebhook,
    stripeKey,
    googleApiKey,
    googleOauthToken,
    npmToken,
    sendgridKey,
    authorization,
    uriPassword,
    sessionCookie,
    sensitiveKeyDetector(extraKeys),
    cardNumber,
    ssn,
    email,
    phone,
  ];
}

/** Every built-in detector name, for validating enable/disable lists. */
export const builtinDetectorNames: readonly string[] = builtinDetectors().map((d) => d.name);
