import type { AttackType } from './rule.js';

export const pathTraversal: AttackType = {
  type: 'path_traversal',
  severity: 'high',
  rules: [
    // Two `../` in a row, also `..\`, `..;/` (Tomcat) and `....//`: one alone is prose ("../ meaning").
    { what: 'parent directory sequence', pattern: /(?:\.{2,}(?:[/\\]+|;\/)\s*){2,}/ },
    {
      what: 'system file name',
      // At the start of a value or path, not mentioned in prose ("what is /etc/hosts").
      pattern:
        /(?:^|[=:"'\\/;,(]|\.\.)(?:\/etc\/(?:passwd|shadow|group|hosts|issue|crontab|sudoers|mysql|nginx)|\/proc\/(?:self|\d+)\/(?:environ|cmdline|maps|fd)|\/var\/log\/|c:[/\\]+(?:windows|boot\.ini|inetpub)|[/\\]windows[/\\]+(?:win\.ini|system32)|\bboot\.ini\b|\/(?:\.env|\.git\/(?:config|head)|\.ssh\/|\.aws\/credentials|\.htpasswd|\.htaccess|web\.config|wp-config\.php)\b|\bid_rsa\b)/,
    },
    // %00 cuts the path short in C-backed file APIs (`../../etc/passwd%00.jpg`).
    // eslint-disable-next-line no-control-regex -- the NUL byte is what this rule looks for
    { what: 'NUL byte', pattern: /\u0000/ },
    { what: 'file: URL', pattern: /\bfile:\/\/\// },
  ],
};
