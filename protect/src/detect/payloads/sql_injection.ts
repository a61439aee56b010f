import type { AttackType } from './rule.js';

const q = `['"\`]`;
/** Any character but a quote, or an apostrophe inside a word. */
const notQuote = `(?:[^']|(?<=[a-z])'(?=[a-z]))`;
/** A quote that is not an apostrophe inside a word. */
const quote = `(?:(?<![a-z])'|(?<=[a-z])'(?![a-z]))`;

export const sqlInjection: AttackType = {
  type: 'sql_injection',
  severity: 'high',
  rules: [
    { what: 'UNION SELECT', pattern: /\bunion\b[\s(]+(?:all\s+|distinct\s+)?\(?\s*select\b/ },
    {
      what: 'quote then boolean tautology',
      pattern: new RegExp(
        `${q}\\s*\\)*\\s*(?:or|and|xor|\\|\\||&&)\\s+\\(*\\s*(?:${q}?[\\w.]*${q}?\\s*(?:=|<>|!=|<=>|\\blike\\b|>|<)\\s*\\(*${q}?[\\w.]*|not\\b|true\\b|false\\b|\\d+\\s*(?:--|#|$))`,
      ),
    },
    {
      what: 'numeric tautology',
      pattern: /\b(?:or|and|having|xor)\s+\(?\d+\)?\s*(?:=|<>|!=|like)\s*\(?\d+\b/,
    },
    {
      // Only an unbalanced quote: `admin'--` closes the server's string; `'a phrase' --` is
      // prose. Apostrophes inside words (can't, O'Brien) are not counted.
      what: 'quote then comment',
      pattern: new RegExp(
        `^${notQuote}*(?:${quote}${notQuote}*${quote}${notQuote}*)*${quote}\\s*\\)*\\s*(?:--|#|/\\*|;\\s*--|;\\s*$)`,
      ),
    },
    {
      what: 'stacked query',
      pattern:
        /;\s*(?:drop\s+(?:table|database|schema|user)|delete\s+from|insert\s+into|update\s+\w+\s+set|truncate\s+(?:table\s+)?\w|alter\s+(?:table|user|role)|create\s+(?:table|user|role|function)|exec(?:ute)?\s+(?:xp_|sp_|master|immediate)|declare\s+@|shutdown\b|select\s+(?:\*|\d|@@|pg_sleep|sleep|version|user|current_user|char|concat|[\w.]+\s+from\b)|waitfor\b)/,
    },
    {
      what: 'time delay function',
      pattern:
        /(?:(?:\b(?:and|or|xor|select|if|then|else|when)\s*|[('"`,;|&]\s*)sleep\s*\(\s*\d|\bpg_sleep\s*\(|benchmark\s*\(\s*\d|waitfor\s+(?:delay|time)\s+'|dbms_pipe\.receive_message|randomblob\s*\(\s*\d)/,
    },
    {
      what: 'database fingerprinting or file access',
      pattern:
        /\b(?:information_schema\b|pg_catalog\b|pg_shadow\b|sysobjects\b|syscolumns\b|sys\.tables\b|mysql\.user\b|sqlite_master\b|all_tables\b|xp_cmdshell\b|load_file\s*\(|into\s+(?:out|dump)file\b|extractvalue\s*\(|updatexml\s*\(|utl_inaddr|utl_http|dbms_\w+\.|@@version\b|@@datadir\b|version\s*\(\s*\)|current_user\s*\(\s*\)|char\s*\(\s*\d+\s*(?:,\s*\d+\s*)+\)|concat(?:_ws)?\s*\([^)]*0x[0-9a-f]+|chr\s*\(\s*\d+\s*\)\s*\|\|)/,
    },
    {
      what: 'subquery in a condition',
      pattern:
        /\(\s*select\s+(?:\d|\*|count\s*\(|case\b|char\b|concat|sleep|pg_sleep|@@|version|user\b|current_user|substr|ascii|[\w.]+\s+from\s+[\w.]+)/,
    },
    { what: 'ORDER BY column probe', pattern: /(?:'|\d|\))\s*(?:order|group)\s+by\s+\d+\s*(?:--|#|\/\*|$)/ },
    {
      what: 'CASE WHEN or CAST probe',
      pattern: /\b(?:case\s+when\s+\(?\s*\d+\s*=\s*\d+|cast\s*\(\s*\(?\s*select\b|convert\s*\(\s*int\s*,)/,
    },
    {
      what: 'RLIKE / boolean subquery',
      pattern: /\b(?:rlike|regexp)\s+\(\s*select\b|\band\s+(?:not\s+)?exists\s*\(\s*select\b/,
    },
  ],
};
