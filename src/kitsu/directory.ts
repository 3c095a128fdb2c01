/**
 * Projects and people by id, name and e-mail, and task statuses by id: names for the table
 * view, and the ids that `--project`, `--by` and `--about` stand for. Loaded once a run with three
 * list requests made together.
 */
import { PermissionError, UsageError } from '../errors.js';
import type { NameDirectory } from '../output/types.js';
import { RefusedError } from './http.js';
import type { Session } from './types.js';
import { closeMatches } from '../core/close-matches.js';

/** Where the search and other callers have long imported it from. */
export { closeMatches };

export interface Directory extends NameDirectory {
  /** Names or ids to project ids; UsageError for one that matches nothing, naming close ones. */
  resolveProjects(refs: string[]): Promise<string[]>;
  /** E-mails, full names, desktop logins or ids to person ids; UsageError likewise, naming `flag`. */
  resolvePeople(refs: string[], flag: string): Promise<string[]>;
  /** The names of the projects listed (for shell completion of --project). */
  listedProjectNames(): string[];
}

interface ProjectRow {
  id: string;
  name?: string;
}

interface TaskStatusRow {
  id: string;
  short_name?: string;
  name?: string;
}

interface PersonRow {
  id: string;
  full_name?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  desktop_login?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Lists what the account may see. A list the server refuses (some roles may not list people)
 * leaves that part empty: ids then stay ids, and only ids resolve.
 */
export async function loadDirectory(session: Session, options: { signal?: AbortSignal } = {}): Promise<Directory> {
  const [projects, people, statuses] = await Promise.all([
    listOrEmpty<ProjectRow>(session, 'data/projects', options.signal),
    listOrEmpty<PersonRow>(session, 'data/persons', options.signal),
    // Readable by every account (crud/task_status.py); only names, which the view can do without.
    listOrEmpty<TaskStatusRow>(session, 'data/task-status', options.signal).catch((): TaskStatusRow[] => []),
  ]);
  return new ListedDirectory(projects, people, statuses, (id) => projectExists(session, id, options.signal));
}

/**
 * Whether a project id the lists did not show exists at all: `GET data/projects/<id>` answers
 * 404 for no such project and 403 for one this account may not read (crud/base.py,
 * get_model_or_404 before check_read_permissions), which the later request reports itself.
 */
async function projectExists(session: Session, id: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await session.http.get<unknown>(
      `data/projects/${encodeURIComponent(id)}`,
      undefined,
      signal ? { signal } : undefined,
    );
    return true;
  } catch (error) {
    if (error instanceof RefusedError && error.status === 404) return false;
    // Not allowed, or the server failed: the request that follows has the last word.
    if (error instanceof PermissionError || error instanceof RefusedError) return true;
    throw error;
  }
}

async function listOrEmpty<T extends { id: string }>(
  session: Session,
  path: string,
  signal: AbortSignal | undefined,
): Promise<T[]> {
  try {
    const rows = await session.http.get<unknown>(path, undefined, signal ? { signal } : undefined);
    return Array.isArray(rows)
      ? (rows.filter((r) => r && typeof r === 'object' && typeof r.id === 'string') as T[])
      : [];
  } catch (error) {
    if (error instanceof PermissionError) return [];
    throw error;
  }
}

function personName(p: PersonRow): string | undefined {
  const full = p.full_name ?? [p.first_name, p.last_name].filter(Boolean).join(' ');
  return full || p.email || undefined;
}

class ListedDirectory implements Directory {
  private readonly projectNames = new Map<string, string>();
  private readonly personNames = new Map<string, string>();
  private readonly statusNames = new Map<string, string>();

  constructor(
    private readonly projects: ProjectRow[],
    private readonly people: PersonRow[],
    statuses: TaskStatusRow[],
    private readonly projectExists: (id: string) => Promise<boolean>,
  ) {
    for (const p of projects) if (p.name) this.projectNames.set(p.id, p.name);
    for (const s of statuses) {
      const name = s.short_name || s.name;
      if (name) this.statusNames.set(s.id, name);
    }
    for (const p of people) {
      const name = personName(p);
      if (name) this.personNames.set(p.id, name);
    }
  }

  project(id: string): string | undefined {
    return this.projectNames.get(id);
  }

  listedProjectNames(): string[] {
    return [...this.projectNames.values()];
  }

  person(id: string): string | undefined {
    return this.personNames.get(id);
  }

  taskStatus(id: string): string | undefined {
    return this.statusNames.get(id);
  }

  async resolveProjects(refs: string[]): Promise<string[]> {
    const ids = resolveAll(refs, '--project', 'project', this.projects, (p) => [p.name]);
    // An id outside the lists is sent on (see resolveOne) only if the server has such a project.
    for (const id of ids) {
      if (this.projects.some((p) => p.id === id) || (await this.projectExists(id))) continue;
      throw new UsageError(
        `--project "${id}" matches no project: the server has none with that id`,
        'check the id, or give the project by its name',
      );
    }
    return ids;
  }

  async resolvePeople(refs: string[], flag: string): Promise<string[]> {
    return resolveAll(refs, flag, 'person', this.people, (p) => [p.email, personName(p), p.desktop_login]);
  }
}

function resolveAll<T extends { id: string }>(
  refs: string[],
  flag: string,
  kind: string,
  rows: readonly T[],
  labelsOf: (row: T) => (string | undefined)[],
): string[] {
  const ids = refs.map((ref) => resolveOne(ref, flag, kind, rows, labelsOf));
  return [...new Set(ids)];
}

function resolveOne<T extends { id: string }>(
  ref: string,
  flag: string,
  kind: string,
  rows: readonly T[],
  labelsOf: (row: T) => (string | undefined)[],
): string {
  const wanted = ref.trim().toLowerCase();
  // Empty would match every empty label (a person with no desktop login…), not a choice.
  if (wanted === '') throw new UsageError(`${flag} is empty`, `give a ${kind} name or id`);
  const byId = rows.find((r) => r.id.toLowerCase() === wanted);
  if (byId) return byId.id;
  const matches = rows.filter((r) => labelsOf(r).some((label) => label?.trim().toLowerCase() === wanted));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) {
    throw new UsageError(
      `${flag} "${ref}" matches ${matches.length} ${kind}s`,
      `give its id instead: ${matches.map((m) => m.id).join(', ')}`,
    );
  }
  // An id we cannot list (a project outside what this account lists) is still worth sending:
  // the server has the last word, and answers 403 when it is not allowed.
  if (UUID.test(ref.trim())) return ref.trim();
  const labels = rows.flatMap((r) => labelsOf(r).filter((l): l is string => Boolean(l)));
  const close = closeMatches(ref, labels);
  throw new UsageError(
    `${flag} "${ref}" matches no ${kind} this account can see`,
    close.length > 0 ? `did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : `give a ${kind} name or id`,
  );
}
