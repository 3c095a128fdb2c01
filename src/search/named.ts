/**
 * Searches that need the production's names: --entity, --task-type, --status, and --where
 * on names.* fields. Built on the name resolver (src/kitsu/names.ts).
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Session } from '../kitsu/types.js';
import type { SearchPlan } from './plan.js';
import type { RecordSearch } from './search.js';

export async function openNamedSearch(
  _ctx: Context,
  _session: Session,
  _plan: SearchPlan,
  _projectIds: readonly string[] | undefined,
): Promise<RecordSearch> {
  throw new UsageError('--entity, --task-type, --status and names.* fields need the name resolver, which this build does not have yet');
}
