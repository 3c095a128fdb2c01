/**
 * Why the server said 403: the account's role, and what reading each log takes on the Zou
 * version at hand (see src/kitsu/README.md), turned into a PermissionError that says so.
 */
import { capabilitiesOf } from '../core/capabilities.js';
import { PermissionError } from '../errors.js';
import type { Session } from './types.js';

/**
 * The account's role: from the session, else (a bot token from the environment) from the
 * server; undefined when it cannot be told.
 */
export async function roleOf(session: Session, signal: AbortSignal): Promise<string | undefined> {
  if (session.user) return session.user.role;
  try {
    const me = await session.http.get<{ user?: { role?: unknown } }>('auth/authenticated', undefined, { signal });
    return typeof me?.user?.role === 'string' ? me.user.role : undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
}

/** What was being read when the 403 came. */
export interface LogReadAttempt {
  log: 'events' | 'logins';
  /** Whether --project narrowed the read (a manager outside that project's team gets 403). */
  byProject: boolean;
}

/** The 403 of a log read, explained: what it takes, and who the user is logged in as. */
export async function logPermissionError(
  session: Session,
  attempt: LogReadAttempt,
  signal: AbortSignal,
): Promise<PermissionError> {
  const caps = capabilitiesOf(session.serverVersion);
  const role = await roleOf(session, signal);
  const account = session.user ? `as ${session.user.email || session.user.full_name}` : 'with a bot token';
  const who = role ? `you are logged in ${account}, role ${role}` : undefined;
  if (attempt.log === 'logins') {
    return new PermissionError(
      caps.loginLogsAdminOnly
        ? 'reading the login log needs an admin account (or a bot token with that role)'
        : 'reading the login log needs a manager or admin account (or a bot token with that role)',
      who,
    );
  }
  if (attempt.byProject && caps.managerScoping && role === 'manager') {
    return new PermissionError(
      'a manager can read the events of their own projects only, and --project names one they are not a member of',
      'drop that --project, or ask an admin to add you to its team',
    );
  }
  return new PermissionError(
    'reading the event log needs a manager or admin account (or a bot token with that role)',
    who,
  );
}
