import type { AttackType } from './rule.js';

const handlers =
  'abort|activate|afterprint|animation\\w*|auxclick|beforeprint|beforeunload|begin|blur|change|click|contextmenu|copy|cut|dblclick|drag\\w*|drop|end|error|focus\\w*|hashchange|input|invalid|key\\w+|load\\w*|message|mouse\\w+|offline|online|pagehide|pageshow|paste|pointer\\w+|popstate|readystatechange|repeat|reset|resize|scroll|search|select|show|start|submit|toggle|touch\\w+|transition\\w*|unload|wheel';

export const xss: AttackType = {
  type: 'xss',
  severity: 'medium',
  rules: [
    { what: '<script> tag', pattern: /<\s*\/?\s*script\b/ },
    {
      what: 'event handler attribute',
      pattern: new RegExp(`(?:["'\`/]|\\s)on(?:${handlers})\\s*=\\s*["'\`]?\\s*[\\w$({\\[.]`),
    },
    {
      what: 'javascript: or vbscript: URL',
      pattern:
        /\b(?:java|vb|live)script\s*:\s*(?:[a-z_$][\w$.]*\s*[(`=]|\/\/|void\b|document\b|window\b|top\b|self\b|this\b|location\b|eval\b|'|")/,
    },
    {
      // Elements that load or run something by merely existing.
      what: 'active HTML element',
      pattern:
        /<\s*(?:iframe|frame|frameset|object|embed|applet|base|meta|link|isindex|xss|svg|math)\b[\s/>]?/,
    },
    {
      // Ordinary elements only with a URL or code attribute: `<div>` or `<b>bold</b>` in a search is fine.
      // The attribute is looked for within 300 characters of `<`: linear time on hostile input.
      what: 'HTML element with a URL or code attribute',
      pattern:
        /<\s*[a-z][\w-]*\b[^>]{0,300}?[\s/"'](?:src|href|data|srcdoc|action|formaction|xlink:href|http-equiv|background|dynsrc|lowsrc|style)\s*=/,
    },
    {
      what: 'script sink or DOM access',
      pattern:
        /\b(?:document\s*\.\s*(?:cookie|domain|write\s*\(|location)|window\s*\.\s*location|\.innerhtml\s*=|string\s*\.\s*fromcharcode\s*\(|eval\s*\(\s*(?:atob|unescape|string|name|location|['"`])|(?:alert|prompt|confirm)\s*(?:\(\s*[^)\s]|`)|constructor\s*\.\s*constructor\s*\(|settimeout\s*\(\s*['"`])/,
    },
    {
      what: 'data: HTML URL or CSS expression',
      pattern:
        /\bdata\s*:\s*(?:text\/html|image\/svg\+xml|application\/x-javascript)|\bexpression\s*\(|-moz-binding\s*:|behavior\s*:\s*url/,
    },
  ],
};
