/**
 * Searches that need the production's names: --entity, --task-type, --status, and --where on
 * names.* fields. Built on the name resolver (src/kitsu/names.ts): the flags' names become
 * ids once, at the start (a miss says "did you mean", an ambiguous name lists the
 * candidates); each event is then matched by the ids of what it is about.
 *
 * Zou's event log filters on none of these (data/events/last takes names, a project and
 * people only: zou/app/blueprints/events/resources.py), so they are applied here; the
 * server still gets the project of the named entities when no --project narrows it.
 */
import type { Context } from '../context.js';
import { eventRefs } from '../core/event-subject.js';
import type { EventRecord } from '../core/record.js';
import { UsageError } from '../errors.js';
import { closeMatches } from '../kitsu/directory.js';
import { openNameResolver, type EntityInfo, type NameResolver, type Resolution } from '../kitsu/names.js';
import type { Session } from '../kitsu/types.js';
import type { SearchPlan } from './plan.js';
import { describePlan, type RecordSearch } from './search.js';

/**
 * How long a filter waits for a look-up. A filter has to know (a name shown as a short id is
 * fine, an event dropped or let through by mistake is not), so it waits far longer than the
 * display does; the HTTP client's own time-outs and retries bound each request.
 */
const FILTER_WAIT_MS = 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function openNamedSearch(
  ctx: Context,
  session: Session,
  plan: SearchPlan,
  projectIds: readonly string[] | undefined,
  shared?: NameResolver,
): Promise<RecordSearch> {
  const resolver = shared ?? openNameResolver(ctx.env, session);
  try {
    const [entityIds, entityProjects] =
      plan.entities.length > 0 ? await resolveEntities(resolver, plan.entities, projectIds) : [undefined, undefined];
    const taskTypeIds =
      plan.taskTypes.length > 0
        ? await resolveNamed('--task-type', 'task type', plan.taskTypes, await resolver.taskTypes())
        : undefined;
    const statusIds =
      plan.statuses.length > 0
        ? await resolveNamed(
            '--status',
            'task status',
            plan.statuses,
            (await resolver.taskStatuses()).map((s) => ({ ...s, aliases: [s.long_name] })),
          )
        : undefined;
    const where = plan.where;

    /** What needs the event's task or entity looked up. */
    const needsLookUp = Boolean(entityIds || taskTypeIds || where?.needsNames);
    const matchesResolved = (record: EventRecord, resolution: Resolution): boolean => {
      const { subject, names } = resolution;
      if (entityIds && !subject.entity_ids.some((id) => entityIds.has(id))) return false;
      if (taskTypeIds && !(subject.task_type_id && taskTypeIds.has(subject.task_type_id))) return false;
      if (where?.needsNames) return where.matches({ ...record, names } as EventRecord);
      return true;
    };

    /** What the payload alone decides: an event about no task or entity, the status it names. */
    const quick = (record: EventRecord): boolean | undefined => {
      if (where && !where.needsNames && !where.matches(record)) return false;
      const refs = eventRefs(record);
      // The status an event names: a change's new status, the one a comment set.
      if (statusIds && !(refs.task_status_id && statusIds.has(refs.task_status_id))) return false;
      const aboutTask = Boolean(refs.task_id || refs.comment_id || refs.preview_file_id);
      if (entityIds && !aboutTask && !refs.entity_id) return false;
      if (taskTypeIds && !aboutTask && !refs.task_type_id) return false;
      return needsLookUp ? undefined : true;
    };

    return {
      serverProjects: entityProjects,
      quick,
      async select(records) {
        const verdicts = records.map(quick);
        if (!needsLookUp) return records.filter((_, i) => verdicts[i] === true);
        const candidates = records.filter((_, i) => verdicts[i] !== false);
        if (candidates.length === 0) return [];
        const resolved = await resolver.resolveAll(candidates, { waitMs: FILTER_WAIT_MS });
        return candidates.filter((record, i) => matchesResolved(record, resolved[i]!));
      },
      describe: () => describePlan(plan),
      close: async () => {
        if (!shared) await resolver.close();
      },
    };
  } catch (error) {
    if (!shared) await resolver.close();
    throw error;
  }
}

/** `SQ01/SH010`, `sq01 / sh010` and `SQ01 / SH010` are the same path. */
const normalise = (text: string): string =>
  text
    .trim()
    .toLowerCase()
    .replace(/\s*\/\s*/g, ' / ')
    .replace(/\s+/g, ' ');

/** The ids named by --entity, and the projects they belong to. */
async function resolveEntities(
  resolver: NameResolver,
  refs: readonly string[],
  projectIds: readonly string[] | undefined,
): Promise<[Set<string>, string[] | undefined]> {
  const entities = await resolver.entities(projectIds);
  const ids = new Set<string>();
  const projects = new Set<string>();
  let everyProjectKnown = true;
  for (const ref of refs) {
    const chosen = resolveEntity(ref, entities, projectIds);
    ids.add(chosen.id);
    if (chosen.project_id) projects.add(chosen.project_id);
    else everyProjectKnown = false;
  }
  return [ids, everyProjectKnown ? [...projects] : undefined];
}

function resolveEntity(
  ref: string,
  entities: readonly EntityInfo[],
  projectIds: readonly string[] | undefined,
): { id: string; project_id: string | null } {
  const wanted = normalise(ref);
  const byId = entities.find((e) => e.id.toLowerCase() === wanted);
  if (byId) return byId;
  // A path or a bare name: `SQ010` is the whole path of a film's sequence and the name of a
  // TV show's SQ010 in every episode, and all of them are candidates.
  const matches = entities.filter((e) => normalise(e.path) === wanted || normalise(e.name) === wanted);
  if (matches.length === 1) return matches[0]!;
  const where = projectIds ? 'in the chosen projects' : 'in the projects this account can read';
  if (matches.length > 1) {
    const shown = matches.slice(0, 6).map((e) => `${e.kind} ${e.path} (${e.id})`);
    throw new UsageError(
      `--entity "${ref}" is ambiguous: ${matches.length} entities ${where} have that name`,
      `give its path or id: ${shown.join(', ')}${matches.length > shown.length ? ', …' : ''}`,
    );
  }
  // An id this account cannot list (a deleted asset) is still worth looking for in the log.
  if (UUID.test(ref.trim())) return { id: ref.trim().toLowerCase(), project_id: null };
  const close = closeMatches(
    ref,
    entities.flatMap((e) => [e.name, e.path]),
  );
  throw new UsageError(
    `--entity "${ref}" matches no asset, shot, sequence or episode ${where}`,
    close.length > 0
      ? `did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`
      : 'give a name (SH010), a path (SQ01 / SH010) or an id',
  );
}

interface Named {
  id: string;
  name: string;
  aliases?: readonly string[];
}

/** Names (or ids) to ids, for --task-type and --status. */
async function resolveNamed(
  flag: string,
  kind: string,
  refs: readonly string[],
  rows: readonly Named[],
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const ref of refs) {
    const wanted = ref.trim().toLowerCase();
    const matches = rows.filter(
      (r) =>
        r.id.toLowerCase() === wanted || [r.name, ...(r.aliases ?? [])].some((n) => n.trim().toLowerCase() === wanted),
    );
    const distinct = [...new Set(matches.map((m) => m.id))];
    if (distinct.length === 1) {
      ids.add(distinct[0]!);
      continue;
    }
    if (distinct.length > 1) {
      throw new UsageError(
        `${flag} "${ref}" matches ${distinct.length} ${kind}s`,
        `give its id: ${matches.map((m) => `${m.name} (${m.id})`).join(', ')}`,
      );
    }
    if (UUID.test(ref.trim())) {
      ids.add(wanted);
      continue;
    }
    const close = closeMatches(
      ref,
      rows.flatMap((r) => [r.name, ...(r.aliases ?? [])]),
    );
    throw new UsageError(
      `${flag} "${ref}" matches no ${kind}`,
      close.length > 0
        ? `did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`
        : `${kind}s: ${[...new Set(rows.map((r) => r.name))].slice(0, 12).join(', ')}`,
    );
  }
  return ids;
}
