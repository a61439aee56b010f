/**
 * Personal data with no keyword to look for: numbers checked beyond their shape so
 * timestamps, order numbers, UUIDs and IP addresses stay as they are.
 */
import type { Detector } from '../detector.js';
import { luhnValid } from '../luhn.js';

/** Card brands by issuer prefix and the lengths they issue. */
const cardBrands: readonly [RegExp, readonly number[]][] = [
  [/^4/, [13, 16, 19]], // Visa
  [/^(?:5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720))/, [16]], // Mastercard
  [/^3[47]/, [15]], // American Express
  [/^(?:6011|65|64[4-9]|62)/, [16, 17, 18, 19]], // Discover, UnionPay
  [/^3(?:0[0-5]|[689])/, [14, 15, 16, 17, 18, 19]], // Diners Club
  [/^35(?:2[89]|[3-8]\d)/, [16, 17, 18, 19]], // JCB
];

function isCardNumber(candidate: string): boolean {
  const separators = candidate.replace(/\d/g, '');
  if (separators.length > 0 && !/^( +|-+)$/.test(separators)) return false; // mixed separators
  const digits = candidate.replace(/\D/g, '');
  if (!luhnValid(digits)) return false;
  return cardBrands.some(([prefix, lengths]) => prefix.test(digits) && lengths.includes(digits.length));
}

/** 13 to 19 digits, contiguous or grouped with spaces or dashes, Luhn-valid, with a known brand prefix. */
export const cardNumber: Detector = {
  name: 'card_number',
  keywords: [],
  pattern: /()((?<![\w.+-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w-]|\.\d))/g,
  accept: isCardNumber,
};

/** US social security numbers `AAA-GG-SSSS` (or spaced), skipping ranges never issued (000, 666, 9xx, 00, 0000). */
export const ssn: Detector = {
  name: 'ssn',
  keywords: [],
  pattern: /()((?<![\w.-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\3(?!0000)\d{4}(?![\w-]|\.\d))/g,
};

export const email: Detector = {
  name: 'email',
  keywords: ['@'],
  pattern:
    /()((?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-]))/g,
};

/**
 * North American numbers written with separators (`(415) 555-2671`, `415-555-2671`,
 * `+1 415.555.2671`) and international ones with a leading `+` (8 to 15 digits).
 * Bare digit runs are not phone numbers here: they are too often ids and epochs.
 */
export const phone: Detector = {
  name: 'phone',
  keywords: [],
  pattern:
    /()((?<![\w.+:/-])(?:(?:\+1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}|\+[1-9](?:[ .-]?\(?\d\)?){7,14})(?![\w:-]|\.\d))/g,
};
