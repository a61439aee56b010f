import { readFile } from 'node:fs/promises';
import { repoPath } from '@whodunit/testkit';
import { runTool, type CommandResult } from './command.js';

export const alertmanagerFile = repoPath('config/alertmanager/alertmanager.yml');
export const templateGlob = repoPath('config/alertmanager/templates/*.tmpl');

/** The Discord channels (one webhook file each under config/alertmanager/secrets/). */
export const discordChannels = ['critical', 'security', 'database', 'performance'] as const;
export type DiscordChannel = (typeof discordChannels)[number];

export const amtool = (args: readonly string[]): Promise<CommandResult> =>
  runTool('amtool', 'prometheus-alertmanager', args);

/**
 * The committed file reads each Discord webhook from `webhook_url_file`, which Alertmanager has
 * from 0.26 on; Debian's 0.25, which the tests run, only knows `webhook_url`. These replacements
 * (for testkit's copyConfig / startAlertmanager) turn each such line into a `webhook_url` to
 * `<discordBase>/<channel>?wait=true`, and change nothing else.
 */
export function alertmanager025Replacements(discordBase: string): Record<string, string> {
  return Object.fromEntries(
    discordChannels.map((channel) => [
      `webhook_url_file: /etc/alertmanager/secrets/discord-${channel}.url`,
      `webhook_url: '${discordBase}/${channel}?wait=true'`,
    ]),
  );
}

export async function alertmanagerText(): Promise<string> {
  return readFile(alertmanagerFile, 'utf8');
}
