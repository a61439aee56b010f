import pg from 'pg';

export interface Context {
  userId: string | null;
  username: string | null;
  correlationId: string | null;
  clientIp: string | null;
  userAgent?: string | null;
  request?: string | null;
}

/** A connected client; the caller ends it. */
export async function connect(url: string, applicationName = 'whodunit-test'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  return client;
}

/**
 * What an app does per request: BEGIN, set the audit context, work, COMMIT (or ROLLBACK); then what
 * the collector does continuously: audit.ingest(), which turns the committed capture into audit rows.
 */
export async function asUser(
  client: pg.ClientBase,
  context: Context,
  work: (client: pg.ClientBase) => Promise<void>,
  end: 'commit' | 'rollback' = 'commit',
): Promise<void> {
  await client.query('begin');
  await client.query('select audit.set_context($1, $2, $3, $4, $5, $6)', [
    context.userId,
    context.username,
    context.correlationId,
    context.clientIp,
    context.userAgent ?? null,
    context.request ?? null,
  ]);
  try {
    await work(client);
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
  await client.query(end);
  await ingest(client);
}

/** The collector's part: committed capture messages become audit rows (and NOTIFYs). */
export async function ingest(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ rows: string }>('select audit.ingest() as rows');
  return Number(result.rows[0]?.rows);
}

/** Collects whodunit_alert notifications; `until(kind)` resolves when one of that kind arrived. */
export async function listenForAlerts(url: string) {
  const client = await connect(url, 'whodunit-test-listener');
  const alerts: Array<Record<string, unknown>> = [];
  const waiters: Array<{ kind: string; resolve: () => void }> = [];
  client.on('notification', (message) => {
    if (message.channel !== 'whodunit_alert' || message.payload === undefined) return;
    const alert = JSON.parse(message.payload) as Record<string, unknown>;
    alerts.push(alert);
    for (const waiter of waiters.filter((w) => w.kind === alert.kind)) waiter.resolve();
  });
  await client.query('listen whodunit_alert');
  return {
    alerts,
    /** Resolves once an alert of this kind has arrived (notifications arrive in commit order). */
    until: (kind: string) =>
      new Promise<void>((resolve) => {
        if (alerts.some((a) => a.kind === kind)) resolve();
        else waiters.push({ kind, resolve });
      }),
    close: () => client.end(),
  };
}
