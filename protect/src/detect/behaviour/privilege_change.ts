/**
 * Privilege or role changes: an audit event saying so (`role_changed`,
 * `user.role.update`, "granted admin to bob"), a field carrying the new role, or
 * SQL that grants or elevates (`GRANT ... TO`, `ALTER ROLE ... SUPERUSER`).
 */
import type { Fields } from '../../fields/read_fields.js';
import type { Detection } from '../detection.js';

const privilegeWords = '(?:roles?|privileges?|permissions?|superuser|sudo(?:ers)?|rights|access level|acl)';
const changeWords =
  '(?:chang\\w*|grant\\w*|assign\\w*|add(?:ed)?|promot\\w*|elevat\\w*|escalat\\w*|updat\\w*|set|revok\\w*|remov\\w*|modif\\w*)';
/** "admin" alone is too common ("admin settings updated"): only with a verb that confers it. */
const conferWords = '(?:grant\\w*|promot\\w*|elevat\\w*|escalat\\w*|revok\\w*|made|make)';
const powerfulRoles = '(?:admin|administrator|owner|root|superuser)';
const eventText = new RegExp(
  `\\b${privilegeWords}\\b.{0,40}\\b${changeWords}\\b|\\b${changeWords}\\b.{0,40}\\b${privilegeWords}\\b|\\b${conferWords}\\b.{0,40}\\b${powerfulRoles}\\b`,
);
const grantSql =
  /\bgrant\s+[\w\s,]+\bto\b|\balter\s+(?:role|user)\b.*\b(?:superuser|createrole|createdb|bypassrls)\b|\bcreate\s+(?:role|user)\b.*\bsuperuser\b/;

const eventKeys = ['event', 'action', 'event_type', 'type', 'activity', 'msg', 'message'];
const sqlKeys = ['query', 'statement', 'sql', 'command'];
const newRoleKeys = ['new_role', 'newRole', 'role_to', 'granted_role', 'new_roles'];

const text = (value: unknown) =>
  typeof value === 'string' ? value.toLowerCase().replace(/[._-]+/g, ' ') : '';

export function privilegeChange(fields: Fields, message: string): Detection | undefined {
  for (const key of newRoleKeys) {
    const role = fields[key];
    if (typeof role === 'string' || Array.isArray(role)) {
      const oldRole = fields.old_role ?? fields.oldRole ?? fields.role_from;
      return {
        type: 'privilege_change',
        severity: 'high',
        reason: `role changed${typeof oldRole === 'string' ? ` from ${oldRole}` : ''} to ${String(role)}`,
      };
    }
  }
  for (const key of sqlKeys) {
    const sql = fields[key];
    if (typeof sql === 'string' && grantSql.test(sql.toLowerCase())) {
      return {
        type: 'privilege_change',
        severity: 'high',
        reason: `privilege granted by SQL: ${sql.slice(0, 120)}`,
      };
    }
  }
  const texts = eventKeys.map((k) => text(fields[k])).filter((t) => t !== '');
  if (texts.length === 0 && message !== '') texts.push(text(message));
  for (const t of texts) {
    if (eventText.test(t))
      return { type: 'privilege_change', severity: 'high', reason: `privilege change: ${t.slice(0, 120)}` };
  }
  return undefined;
}
