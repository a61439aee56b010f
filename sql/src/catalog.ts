import type pg from 'pg';

/** What the catalog says about one object of schema audit, for API.md and the comment check. */
export interface CatalogObject {
  kind: 'table' | 'view' | 'function' | 'column' | 'sequence';
  /** e.g. `audit.who_changed(text, text)` or `audit.events.action`. */
  name: string;
  /** Column type, function signature with argument names and result; empty for tables. */
  type: string;
  comment: string | null;
  /** Roles among whodunit_reader/writer/admin granted SELECT (relations) or EXECUTE (functions). */
  roles: string[];
}

const ROLES = ['whodunit_reader', 'whodunit_writer', 'whodunit_admin'];

// Partitions (audit.events_p202611, ...) are made by audit.maintain() and documented by their parent.
const RELATIONS = `
  select c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class') as comment,
         array(select r from unnest($1::text[]) r where has_table_privilege(r, c.oid, 'select')) as roles
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'audit' and c.relkind in ('r', 'p', 'v', 'S') and not c.relispartition
  order by c.relname`;

const COLUMNS = `
  select a.attname, format_type(a.atttypid, a.atttypmod) as type, col_description(a.attrelid, a.attnum) as comment
  from pg_attribute a where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum`;

const FUNCTIONS = `
  select p.proname, pg_get_function_identity_arguments(p.oid) as identity,
         pg_get_function_arguments(p.oid) as arguments, pg_get_function_result(p.oid) as result,
         obj_description(p.oid, 'pg_proc') as comment,
         array(select r from unnest($1::text[]) r where has_function_privilege(r, p.oid, 'execute')) as roles
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'audit' order by p.proname, identity`;

const KINDS: Record<string, CatalogObject['kind']> = { r: 'table', p: 'table', v: 'view', S: 'sequence' };

export async function readCatalog(client: pg.ClientBase): Promise<CatalogObject[]> {
  const objects: CatalogObject[] = [];
  const relations = await client.query<{
    oid: number;
    relname: string;
    relkind: string;
    comment: string | null;
    roles: string[];
  }>(RELATIONS, [ROLES]);
  for (const rel of relations.rows) {
    const kind = KINDS[rel.relkind] ?? 'table';
    objects.push({ kind, name: `audit.${rel.relname}`, type: '', comment: rel.comment, roles: rel.roles });
    if (kind === 'sequence') continue;
    const columns = await client.query<{ attname: string; type: string; comment: string | null }>(COLUMNS, [
      rel.oid,
    ]);
    for (const col of columns.rows) {
      objects.push({
        kind: 'column',
        name: `audit.${rel.relname}.${col.attname}`,
        type: col.type,
        comment: col.comment,
        roles: rel.roles,
      });
    }
  }
  const functions = await client.query<{
    proname: string;
    identity: string;
    arguments: string;
    result: string;
    comment: string | null;
    roles: string[];
  }>(FUNCTIONS, [ROLES]);
  for (const fn of functions.rows) {
    objects.push({
      kind: 'function',
      name: `audit.${fn.proname}(${fn.identity})`,
      type: `audit.${fn.proname}(${fn.arguments}) returns ${fn.result}`,
      comment: fn.comment,
      roles: fn.roles,
    });
  }
  return objects;
}
