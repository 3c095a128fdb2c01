/**
 * The search flags shared by `logs`, `logs --follow`, `listen` and `demo`: `--where`, and
 * what an event is about (`--entity`, `--task-type`, `--status`). Parsed without touching
 * the network, so every usage error comes before anything connects.
 */
import { parseWhere, type WhereFilter } from '../core/where.js';
import { UsageError } from '../errors.js';

export interface SearchFlags {
  where?: string[];
  entity?: string[];
  taskType?: string[];
  status?: string[];
}

export interface SearchPlan {
  where?: WhereFilter;
  /** Names or ids of assets, shots, sequences, episodes (any of them). */
  entities: string[];
  /** Task type names or ids (any of them). */
  taskTypes: string[];
  /** Task status short names, names or ids (any of them). */
  statuses: string[];
}

/** Undefined when no search flag was given (the common case costs nothing). */
export function planSearch(flags: SearchFlags): SearchPlan | undefined {
  const list = (values: string[] | undefined, flag: string): string[] =>
    (values ?? []).map((value) => {
      if (value.trim() === '')
        throw new UsageError(`${flag} is empty`, `give a name or an id, such as ${flag} ${EXAMPLES[flag]}`);
      return value.trim();
    });
  const where = flags.where && flags.where.length > 0 ? parseWhere(flags.where) : undefined;
  const plan: SearchPlan = {
    where,
    entities: list(flags.entity, '--entity'),
    taskTypes: list(flags.taskType, '--task-type'),
    statuses: list(flags.status, '--status'),
  };
  const empty = !plan.where && plan.entities.length === 0 && plan.taskTypes.length === 0 && plan.statuses.length === 0;
  return empty ? undefined : plan;
}

const EXAMPLES: Record<string, string> = { '--entity': 'SH010', '--task-type': 'Animation', '--status': 'wfa' };

/** Whether the plan needs the production's names (a resolver) to decide. */
export function needsResolver(plan: SearchPlan): boolean {
  return (
    plan.entities.length > 0 || plan.taskTypes.length > 0 || plan.statuses.length > 0 || plan.where?.needsNames === true
  );
}
