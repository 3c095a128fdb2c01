/**
 * Filling the completion cache (src/store/completion-cache.ts) from answers a command has:
 * `login` asks for the projects and the log's event names once, right after the login; `logs`
 * and `listen` pass on the projects they listed anyway. Never a request of its own on TAB,
 * and never a failure of the command: a refused or failed list is just not saved.
 */
import { capabilitiesOf } from '../core/capabilities.js';
import { rememberCompletionNames, type CompletionNames } from '../store/completion-cache.js';
import type { Directory } from './directory.js';
import type { ApiClient } from './http.js';
import type { Session } from './types.js';

/** After a login: `data/projects` and, on 1.0.63 and later, `data/events/names` (admins and managers). */
export async function rememberAtLogin(
  env: Record<string, string | undefined>,
  client: ApiClient,
  login: { profileName: string; token: string; serverVersion: string },
): Promise<void> {
  const list = async (path: string): Promise<unknown[] | undefined> => {
    try {
      const response = await client.send({ method: 'GET', path, token: login.token });
      return response.status === 200 && Array.isArray(response.body) ? (response.body as unknown[]) : undefined;
    } catch {
      return undefined;
    }
  };
  const [projects, events] = await Promise.all([
    list('data/projects'),
    capabilitiesOf(login.serverVersion).eventNamesRoute ? list('data/events/names') : undefined,
  ]);
  const names: CompletionNames = {};
  if (projects) {
    names.projects = projects
      .map((row) => (row && typeof row === 'object' ? (row as { name?: unknown }).name : undefined))
      .filter((name): name is string => typeof name === 'string');
  }
  if (events) names.events = events.filter((name): name is string => typeof name === 'string');
  if (names.projects || names.events) await rememberCompletionNames(env, login.profileName, client.apiUrl, names);
}

/** The projects a command listed for its own use, kept for completing --project. */
export async function rememberProjects(
  env: Record<string, string | undefined>,
  session: Session,
  directory: Directory,
): Promise<void> {
  const projects = directory.listedProjectNames();
  // None listed: not allowed to list them, which says nothing about the names saved at login.
  if (projects.length > 0) await rememberCompletionNames(env, session.profileName, session.apiUrl, { projects });
}
