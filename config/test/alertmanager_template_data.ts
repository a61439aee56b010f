/** Alerts as Alertmanager hands them to a template (prometheus/alertmanager template.Data). */
export interface TemplateAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Discord's limits on one message (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const discordLimits = { title: 256, description: 4096, embed: 6000 } as const;

/** Mallory's wipe, as the collector's PostgreSQL source posts it. */
export function wipeAlert(overrides: Partial<Record<string, string>> = {}): TemplateAlert {
  const value = (key: string, fallback: string) => overrides[key] ?? fallback;
  return {
    status: 'firing',
    labels: {
      alertname: value('alertname', 'MassDelete'),
      severity: 'critical',
      category: 'audit',
      kind: 'mass_delete',
      user: value('user', 'mallory'),
      table: value('table', 'games'),
      correlation_id: value('correlation_id', 'req-7f3a9c21'),
    },
    annotations: {
      summary: value('summary', 'mallory deleted 500 rows from games'),
      db_user: value('db_user', 'app_rw'),
      operation: value('operation', 'DELETE'),
      rows: value('rows', '500'),
      ip: value('ip', '203.0.113.7'),
      runbook_url: value('runbook_url', 'https://example.org/docs/runbooks/MassDelete.md'),
    },
    startsAt: '2026-11-23T17:04:05Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: '0123456789abcdef',
  };
}

/** The template.Data of one notification holding these alerts. */
export function templateData(alerts: TemplateAlert[]): object {
  const first = alerts[0]!;
  return {
    receiver: 'critical',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: { alertname: first.labels.alertname },
    commonLabels: { alertname: first.labels.alertname, severity: first.labels.severity },
    commonAnnotations: {},
    externalURL: 'http://localhost:9093',
  };
}
