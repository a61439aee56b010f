import type { AttackType } from './rule.js';

/** Commands an attacker runs to look around or call home; any argument counts after a separator. */
const risky =
  'echo|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|python[23]?|perl|ruby|php|powershell|pwsh|telnet|whoami|uname|id|ifconfig|ipconfig|systeminfo|base64|chmod|rm|nslookup|certutil|bitsadmin|hostname|passwd';
/** Commands that are also ordinary words ("cat toys"): only with an argument that looks like one. */
const common =
  'cat|ls|ping|sleep|type|dir|net|env|ps|head|tail|more|less|touch|kill|dig|pwd|printenv|find|grep|awk|sed|tasklist|expr|set';
const argument = `(?=\\s*$|\\s+[-/~.$'"\\d*\`]|\\s*[;&|\`)#<>])`;

export const commandInjection: AttackType = {
  type: 'command_injection',
  severity: 'critical',
  rules: [
    {
      what: 'command after a shell separator',
      pattern: new RegExp(
        `(?:;|\\n|&&|\\|\\|?)\\s*(?:${risky})(?=$|[\\s;&|\`)#<>'"])|(?:;|\\n|&&|\\|\\|?)\\s*(?:${common})${argument}`,
      ),
    },
    { what: 'command after &', pattern: new RegExp(`&\\s*(?:${risky}|${common})\\s+[-/~.$'"\\d*]`) },
    {
      // `ls` alone in backticks is Markdown in a comment; `id` or `sleep 5` is not.
      what: 'command substitution',
      pattern: new RegExp(
        `\\$\\(\\s*(?:${risky}|${common})\\b|\`\\s*(?:${risky})\\b[^\`]*\`|\`\\s*(?:${common})\\s+[-/~.$'"\\d][^\`]*\``,
      ),
    },
    {
      what: 'shell payload',
      pattern:
        /\/bin\/(?:ba|z|k|da)?sh\b|\/dev\/(?:tcp|udp)\/|\$\{ifs\}|\$ifs\b|\{\s*(?:cat|ls|wget|curl|nc|id),|\bnc\s+(?:-\w+\s+)*-[ec]\b|\bbash\s+-[ic]\b|\bcmd(?:\.exe)?\s+\/c\b|\bpowershell(?:\.exe)?\s+-(?:e|enc|encodedcommand|c|command|nop|w)\b|\(\)\s*\{\s*:\s*;\s*\}\s*;/,
    },
  ],
};
