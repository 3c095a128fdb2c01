/**
 * The production the sandbox pretends to track: people, projects, episodes, sequences, shots,
 * assets, task types, statuses and tasks. Built from a seed so the same seed gives the same
 * ids and names, and serialized the way Zou's look-up routes answer.
 */
import { Random } from './random.js';
import type { Role } from './types.js';

export interface Person {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  password: string;
  role: Role;
  active: boolean;
  desktop_login: string;
  totpSecret?: string;
  is_bot: boolean;
  /** The jti a bot token must carry; null once revoked. */
  botJti: string | null;
  createdAt: string;
  failedLogins: number;
  lastFailedMs: number;
}

export interface Project {
  id: string;
  name: string;
  production_type: 'tvshow' | 'short' | 'featurefilm';
  team: string[];
  createdAt: string;
}

export interface TaskStatus {
  id: string;
  name: string;
  short_name: string;
  color: string;
  is_done: boolean;
  is_retake: boolean;
  is_feedback_request: boolean;
  is_wip: boolean;
  is_default: boolean;
}

export interface TaskType {
  id: string;
  name: string;
  short_name: string;
  color: string;
  for_entity: 'Asset' | 'Shot';
  priority: number;
}

export interface EntityType {
  id: string;
  name: string;
}

export type EntityKind = 'Asset' | 'Shot' | 'Sequence' | 'Episode';

export interface Entity {
  id: string;
  name: string;
  kind: EntityKind;
  project_id: string;
  entity_type_id: string;
  parent_id: string | null;
  description: string;
  nb_frames: number | null;
  createdAt: string;
  /** An asset removed without force while it has tasks is only canceled (assets_service.remove_asset). */
  canceled?: boolean;
}

export interface Task {
  id: string;
  project_id: string;
  entity_id: string;
  task_type_id: string;
  task_status_id: string;
  assignees: string[];
  /** Revision of the last preview published on the task. */
  revision: number;
  createdAt: string;
}

/** A comment on a task (Zou's `comment` row, `object_id` being the task). */
export interface Comment {
  id: string;
  task_id: string;
  person_id: string;
  task_status_id: string;
  text: string;
  createdAt: string;
}

/** A preview file published on a task with a comment. */
export interface PreviewFile {
  id: string;
  task_id: string;
  comment_id: string;
  person_id: string;
  revision: number;
  extension: string;
  createdAt: string;
}

/**
 * Comments and previews kept for look-ups; past this many the oldest are forgotten (they then
 * answer 404, as deleted ones do) so that a long generated run stays within bounded memory.
 */
const MAX_KEPT_COMMENTS = 50_000;

const FIRST_NAMES = [
  'Alice',
  'Bruno',
  'Chloé',
  'Dmitri',
  'Emma',
  'Farid',
  'Greta',
  'Hiro',
  'Inès',
  'Jonas',
  'Kofi',
  'Lena',
  'Mateo',
  'Nora',
  'Oskar',
  'Priya',
];
const LAST_NAMES = [
  'Martin',
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Tanaka',
  'Rossi',
  'Haddad',
  'Novak',
  'Silva',
  'Keller',
  'Dubois',
  'Sato',
  'Berg',
  'Costa',
  'Meyer',
  'Nakamura',
];
const ASSET_NAMES = [
  'Fox',
  'Owl',
  'Lighthouse',
  'Boat',
  'Lantern',
  'Market Stall',
  'Old Oak',
  'Kite',
  'Harbor Master',
  'Fisherman',
  'Crate',
  'Bicycle',
  'Snow Hut',
  'Sled',
  'Raven',
  'Bridge',
  'Windmill',
  'Scarecrow',
  'Tram',
  'Cat',
];
const PROJECT_SPECS = [
  { name: 'Moonlit Harbor', production_type: 'tvshow', episodes: 3, sequences: 3, shots: 5, assets: 10 },
  { name: 'Paper Foxes', production_type: 'short', episodes: 0, sequences: 4, shots: 6, assets: 8 },
  { name: 'The Long Winter', production_type: 'featurefilm', episodes: 0, sequences: 5, shots: 6, assets: 12 },
] as const;
const STATUS_SPECS = [
  ['Todo', 'todo', '#f5f5f5', { is_default: true }],
  ['Ready To Start', 'ready', '#fbc02d', {}],
  ['Work In Progress', 'wip', '#3273dc', { is_wip: true }],
  ['Waiting For Approval', 'wfa', '#ab26ff', { is_feedback_request: true }],
  ['Retake', 'retake', '#ff3860', { is_retake: true }],
  ['Done', 'done', '#22d160', { is_done: true }],
] as const;
const TASK_TYPE_SPECS = [
  ['Concept', 'cpt', '#8D6E63', 'Asset'],
  ['Modeling', 'mod', '#78909C', 'Asset'],
  ['Shading', 'sha', '#64B5F6', 'Asset'],
  ['Rigging', 'rig', '#9CCC65', 'Asset'],
  ['Storyboard', 'stb', '#43A047', 'Shot'],
  ['Layout', 'lay', '#7CB342', 'Shot'],
  ['Animation', 'anim', '#009688', 'Shot'],
  ['Lighting', 'lgt', '#F9A825', 'Shot'],
  ['Compositing', 'comp', '#FF5722', 'Shot'],
] as const;
const ASSET_TYPE_NAMES = ['Character', 'Environment', 'Prop', 'FX'];

const DEFAULT_PASSWORD = 'mysecretpassword';

/** Zou's date serialization: ISO without zone, truncated to the second. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

export class World {
  readonly random: Random;
  readonly organisation: { id: string; name: string };
  readonly persons = new Map<string, Person>();
  readonly projects = new Map<string, Project>();
  readonly statuses: TaskStatus[] = [];
  readonly taskTypes: TaskType[] = [];
  readonly entityTypes = new Map<string, EntityType>();
  readonly assetTypeIds: string[] = [];
  readonly entities = new Map<string, Entity>();
  private readonly sequences = new Map<string, Entity[]>();
  readonly tasks = new Map<string, Task>();
  /** Tasks in creation order, for picking at random. */
  readonly taskList: Task[] = [];
  /** Comments and previews in creation order (Maps keep it), the oldest forgotten past a bound. */
  readonly comments = new Map<string, Comment>();
  readonly previews = new Map<string, PreviewFile>();
  /** The ids of the last comments made, newest last, for replies and edits. */
  readonly recentComments: string[] = [];
  readonly users: { admin: Person; manager: Person; artist: Person; inactive: Person; totp: Person; newcomer: Person };
  private readonly kindTypeIds: Record<'Shot' | 'Sequence' | 'Episode', string>;
  private readonly createdAt: string;

  constructor(seed: number, startMs: number) {
    const r = (this.random = new Random(seed));
    this.createdAt = isoSeconds(startMs - 30 * 86_400_000);
    this.organisation = { id: r.uuid(), name: 'Kitsu Sandbox Studio' };
    const person = (first: string, last: string, email: string, role: Role, extra: Partial<Person> = {}): Person => {
      const p: Person = {
        id: r.uuid(),
        first_name: first,
        last_name: last,
        email,
        password: DEFAULT_PASSWORD,
        role,
        active: true,
        desktop_login: '',
        is_bot: false,
        botJti: null,
        createdAt: this.createdAt,
        failedLogins: 0,
        lastFailedMs: 0,
        ...extra,
      };
      this.persons.set(p.id, p);
      return p;
    };
    this.users = {
      admin: person('Super', 'Admin', 'admin@example.com', 'admin', { desktop_login: 'admin' }),
      manager: person('Maya', 'Manager', 'manager@example.com', 'manager', { desktop_login: 'maya' }),
      artist: person('Arthur', 'Artist', 'artist@example.com', 'user', { desktop_login: 'arthur' }),
      inactive: person('Ivan', 'Inactive', 'inactive@example.com', 'user', { active: false }),
      totp: person('Tara', 'Totp', 'totp@example.com', 'supervisor', { totpSecret: 'JBSWY3DPEHPK3PXP' }),
      newcomer: person('Nico', 'Newcomer', 'newcomer@example.com', 'user', { password: 'default' }),
    };
    const crew: Person[] = [];
    for (let i = 0; i < 10; i += 1) {
      const first = FIRST_NAMES[(i * 7 + seed) % FIRST_NAMES.length] as string;
      const last = LAST_NAMES[(i * 5 + seed * 3) % LAST_NAMES.length] as string;
      const role: Role = i < 2 ? 'supervisor' : 'user';
      crew.push(
        person(
          first,
          last,
          `${first
            .normalize('NFD')
            .replace(/[^A-Za-z]/g, '')
            .toLowerCase()}.${last.toLowerCase()}@example.com`,
          role,
        ),
      );
    }

    for (const [name, short, color, flags] of STATUS_SPECS) {
      this.statuses.push({
        id: r.uuid(),
        name,
        short_name: short,
        color,
        is_done: false,
        is_retake: false,
        is_feedback_request: false,
        is_wip: false,
        is_default: false,
        ...flags,
      });
    }
    for (const [name, short, color, forEntity] of TASK_TYPE_SPECS) {
      this.taskTypes.push({
        id: r.uuid(),
        name,
        short_name: short,
        color,
        for_entity: forEntity,
        priority: this.taskTypes.length + 1,
      });
    }
    for (const name of ASSET_TYPE_NAMES) this.assetTypeIds.push(this.addEntityType(name).id);
    this.kindTypeIds = {
      Shot: this.addEntityType('Shot').id,
      Sequence: this.addEntityType('Sequence').id,
      Episode: this.addEntityType('Episode').id,
    };

    PROJECT_SPECS.forEach((spec, index) => {
      const team = [this.users.totp.id, ...crew.filter((_, i) => (i + index) % 3 !== 0).map((p) => p.id)];
      if (index < 2) team.unshift(this.users.manager.id);
      if (index === 0) team.push(this.users.artist.id);
      const project = this.addProject(spec.name, spec.production_type, team);
      for (let a = 0; a < spec.assets; a += 1) {
        this.addAsset(
          project.id,
          r.pick(this.assetTypeIds),
          ASSET_NAMES[(a + index * 3) % ASSET_NAMES.length] as string,
        );
      }
      const episodes =
        spec.episodes === 0
          ? [null]
          : Array.from({ length: spec.episodes }, (_, e) =>
              this.addEntity(project.id, 'Episode', `E${String(e + 1).padStart(2, '0')}`, null),
            );
      for (const episode of episodes) {
        for (let s = 0; s < spec.sequences; s += 1) {
          const sequence = this.addEntity(
            project.id,
            'Sequence',
            `SQ${String((s + 1) * 10).padStart(3, '0')}`,
            episode?.id ?? null,
          );
          for (let k = 0; k < spec.shots; k += 1)
            this.addShot(project.id, sequence.id, `SH${String((k + 1) * 10).padStart(3, '0')}`);
        }
      }
    });
  }

  // Objects made through the API pass their own random `id`, so that they leave the seeded
  // sequence, and with it the generated activity, unchanged.
  addEntityType(name: string, id = this.random.uuid()): EntityType {
    const type = { id, name };
    this.entityTypes.set(type.id, type);
    return type;
  }

  /** `createdAtMs`: when the API call made it (Zou answers the time of creation); else the world's start. */
  addProject(
    name: string,
    productionType: Project['production_type'],
    team: string[],
    id = this.random.uuid(),
    createdAtMs?: number,
  ): Project {
    const createdAt = createdAtMs === undefined ? this.createdAt : isoSeconds(createdAtMs);
    const project: Project = { id, name, production_type: productionType, team, createdAt };
    this.projects.set(project.id, project);
    return project;
  }

  addEntity(projectId: string, kind: 'Shot' | 'Sequence' | 'Episode', name: string, parentId: string | null): Entity {
    return this.putEntity({
      id: this.random.uuid(),
      name,
      kind,
      project_id: projectId,
      entity_type_id: this.kindTypeIds[kind],
      parent_id: parentId,
      description: '',
      nb_frames: kind === 'Shot' ? this.random.int(24, 240) : null,
      createdAt: this.createdAt,
    });
  }

  private putEntity(entity: Entity): Entity {
    this.entities.set(entity.id, entity);
    if (entity.kind === 'Sequence')
      this.sequences.set(entity.project_id, [...this.sequencesOf(entity.project_id), entity]);
    return entity;
  }

  /** A new asset and its tasks (one per asset task type). */
  addAsset(projectId: string, assetTypeId: string, name: string): { asset: Entity; tasks: Task[] } {
    const asset = this.addAssetOnly(projectId, assetTypeId, name, '', this.random.uuid());
    return { asset, tasks: this.addTasks(asset, 'Asset') };
  }

  /** An asset without tasks, as the asset creation route makes it. */
  addAssetOnly(projectId: string, assetTypeId: string, name: string, description: string, id: string): Entity {
    return this.putEntity({
      id,
      name,
      kind: 'Asset',
      project_id: projectId,
      entity_type_id: assetTypeId,
      parent_id: null,
      description,
      nb_frames: null,
      createdAt: isoSeconds(Date.now()),
    });
  }

  addShot(projectId: string, sequenceId: string, name: string): { shot: Entity; tasks: Task[] } {
    const shot = this.addEntity(projectId, 'Shot', name, sequenceId);
    return { shot, tasks: this.addTasks(shot, 'Shot') };
  }

  private addTasks(entity: Entity, forEntity: 'Asset' | 'Shot'): Task[] {
    const project = this.projects.get(entity.project_id);
    const todo = this.statuses[0] as TaskStatus;
    return this.taskTypes
      .filter((t) => t.for_entity === forEntity)
      .map((type) => {
        const assignee = project && this.random.chance(0.6) ? [this.random.pick(project.team)] : [];
        const task: Task = {
          id: this.random.uuid(),
          project_id: entity.project_id,
          entity_id: entity.id,
          task_type_id: type.id,
          task_status_id: todo.id,
          assignees: assignee,
          revision: 0,
          createdAt: this.createdAt,
        };
        this.tasks.set(task.id, task);
        this.taskList.push(task);
        return task;
      });
  }

  status(shortName: string): TaskStatus {
    return this.statuses.find((s) => s.short_name === shortName) as TaskStatus;
  }

  statusById(id: string): TaskStatus | undefined {
    return this.statuses.find((s) => s.id === id);
  }

  addComment(task: Task, personId: string, id: string, text: string): Comment {
    const comment: Comment = {
      id,
      task_id: task.id,
      person_id: personId,
      task_status_id: task.task_status_id,
      text,
      createdAt: isoSeconds(Date.now()),
    };
    keepBounded(this.comments, comment);
    this.recentComments.push(id);
    if (this.recentComments.length > 200) this.recentComments.shift();
    return comment;
  }

  addPreview(task: Task, commentId: string, personId: string, id: string, extension: string): PreviewFile {
    const preview: PreviewFile = {
      id,
      task_id: task.id,
      comment_id: commentId,
      person_id: personId,
      revision: task.revision,
      extension,
      createdAt: isoSeconds(Date.now()),
    };
    keepBounded(this.previews, preview);
    return preview;
  }

  tasksOf(entityId: string): Task[] {
    return this.taskList.filter((t) => t.entity_id === entityId);
  }

  /** Deletes a task and its comments and previews, as `deletion_service.remove_task` does. */
  removeTask(taskId: string): Task | undefined {
    const task = this.tasks.get(taskId);
    if (!task) return undefined;
    this.tasks.delete(taskId);
    this.taskList.splice(this.taskList.indexOf(task), 1);
    for (const [id, c] of this.comments) if (c.task_id === taskId) this.comments.delete(id);
    for (const [id, p] of this.previews) if (p.task_id === taskId) this.previews.delete(id);
    return task;
  }

  /** Deletes an asset with its tasks (`assets_service.remove_asset` with force); returns the tasks removed. */
  removeAsset(assetId: string): Task[] {
    const removed = this.tasksOf(assetId).map((t) => this.removeTask(t.id) as Task);
    this.entities.delete(assetId);
    return removed;
  }

  sequencesOf(projectId: string): readonly Entity[] {
    return this.sequences.get(projectId) ?? [];
  }

  findPersonByLogin(login: string): Person | undefined {
    const wanted = login.trim().toLowerCase();
    for (const p of this.persons.values()) if (p.email.toLowerCase() === wanted) return p;
    for (const p of this.persons.values()) if (p.desktop_login && p.desktop_login.toLowerCase() === wanted) return p;
    return undefined;
  }

  /** Projects a person is a team member of (admins see all through the routes, not here). */
  projectsOf(personId: string): Project[] {
    return [...this.projects.values()].filter((p) => p.team.includes(personId));
  }

  // ---- serializations, as Zou's routes answer ----

  personFull(p: Person): Record<string, unknown> {
    return {
      id: p.id,
      created_at: p.createdAt,
      updated_at: p.createdAt,
      first_name: p.first_name,
      last_name: p.last_name,
      full_name: `${p.first_name} ${p.last_name}`,
      email: p.email,
      phone: '',
      contract_type: 'open-ended',
      active: p.active,
      archived: false,
      last_presence: null,
      desktop_login: p.desktop_login,
      login_failed_attemps: p.failedLogins,
      last_login_failed: p.lastFailedMs ? isoSeconds(p.lastFailedMs) : null,
      totp_enabled: Boolean(p.totpSecret),
      email_otp_enabled: false,
      fido_enabled: false,
      preferred_two_factor_authentication: p.totpSecret ? 'totp' : null,
      shotgun_id: null,
      timezone: 'Europe/Paris',
      locale: 'en_US',
      data: null,
      role: p.role,
      has_avatar: false,
      notifications_enabled: false,
      notifications_slack_enabled: false,
      notifications_slack_userid: '',
      notifications_mattermost_enabled: false,
      notifications_mattermost_userid: '',
      notifications_discord_enabled: false,
      notifications_discord_userid: '',
      is_bot: p.is_bot,
      expiration_date: null,
      studio_id: null,
      departments: [],
      type: 'Person',
    };
  }

  personMinimal(p: Person): Record<string, unknown> {
    return {
      id: p.id,
      first_name: p.first_name,
      last_name: p.last_name,
      full_name: `${p.first_name} ${p.last_name}`,
      has_avatar: false,
      active: p.active,
      departments: [],
      role: p.role,
      is_bot: p.is_bot,
      type: 'Person',
    };
  }

  organisationJson(): Record<string, unknown> {
    return {
      id: this.organisation.id,
      name: this.organisation.name,
      hours_by_day: 8,
      has_avatar: false,
      use_original_file_name: false,
      timesheets_locked: false,
      format_duration_in_hours: false,
      hd_by_default: false,
      chat_token_slack: '',
      chat_webhook_mattermost: '',
      chat_token_discord: '',
      dark_theme_by_default: false,
      type: 'Organisation',
    };
  }

  projectJson(p: Project): Record<string, unknown> {
    return {
      id: p.id,
      created_at: p.createdAt,
      updated_at: p.createdAt,
      name: p.name,
      code: null,
      description: '',
      shotgun_id: null,
      file_tree: null,
      data: null,
      has_avatar: false,
      fps: '25',
      ratio: '16:9',
      resolution: '1920x1080',
      production_type: p.production_type,
      production_style: '2d3d',
      start_date: p.createdAt.slice(0, 10),
      end_date: null,
      man_days: null,
      nb_episodes: 0,
      episode_span: 0,
      max_retakes: 0,
      is_clients_isolated: false,
      is_preview_download_allowed: false,
      is_set_preview_automated: false,
      homepage: 'assets',
      project_status_id: null,
      default_preview_background_file_id: null,
      team: p.team,
      asset_types: this.assetTypeIds,
      task_types: this.taskTypes.map((t) => t.id),
      task_statuses: this.statuses.map((s) => s.id),
      descriptors: [],
      type: 'Project',
    };
  }

  entityJson(e: Entity): Record<string, unknown> {
    return {
      id: e.id,
      created_at: e.createdAt,
      updated_at: e.createdAt,
      name: e.name,
      code: null,
      description: e.description,
      shotgun_id: null,
      canceled: e.canceled ?? false,
      nb_frames: e.nb_frames,
      nb_entities_out: 0,
      is_casting_standby: false,
      is_shared: false,
      status: 'running',
      project_id: e.project_id,
      entity_type_id: e.entity_type_id,
      parent_id: e.parent_id,
      source_id: null,
      preview_file_id: null,
      data: {},
      ready_for: null,
      created_by: null,
      type: e.kind,
    };
  }

  taskStatusJson(s: TaskStatus): Record<string, unknown> {
    return {
      ...s,
      created_at: this.createdAt,
      updated_at: this.createdAt,
      is_artist_allowed: true,
      is_client_allowed: false,
      for_concept: false,
      shotgun_id: null,
      type: 'TaskStatus',
    };
  }

  taskTypeJson(t: TaskType): Record<string, unknown> {
    return {
      ...t,
      created_at: this.createdAt,
      updated_at: this.createdAt,
      allow_timelog: true,
      archived: false,
      shotgun_id: null,
      department_id: null,
      type: 'TaskType',
    };
  }

  taskJson(t: Task): Record<string, unknown> {
    return {
      id: t.id,
      created_at: t.createdAt,
      updated_at: t.createdAt,
      name: 'main',
      description: null,
      priority: 0,
      difficulty: 3,
      duration: 0,
      estimation: 0,
      completion_rate: 0,
      retake_count: 0,
      sort_order: 0,
      start_date: null,
      due_date: null,
      real_start_date: null,
      end_date: null,
      last_comment_date: null,
      nb_assets_ready: 0,
      data: null,
      shotgun_id: null,
      last_preview_file_id: null,
      project_id: t.project_id,
      task_type_id: t.task_type_id,
      task_status_id: t.task_status_id,
      entity_id: t.entity_id,
      assigner_id: this.users.manager.id,
      assignees: t.assignees,
      type: 'Task',
    };
  }

  /**
   * `data/tasks/<id>/full`, as Zou's `tasks_service.get_full_task` builds it: the task with
   * its entity and entity type (plain `Entity`/`EntityType` rows: an asset's entity type is its
   * asset type), project, task type, status, assignees and assigner; `sequence` and `episode`
   * only for a shot (or a sequence, its own sequence), absent otherwise.
   */
  taskFullJson(t: Task): Record<string, unknown> {
    const entity = this.entities.get(t.entity_id) as Entity;
    const project = this.projects.get(t.project_id) as Project;
    const type = this.taskTypes.find((x) => x.id === t.task_type_id) as TaskType;
    const status = this.statuses.find((x) => x.id === t.task_status_id) as TaskStatus;
    const entityType = this.entityTypes.get(entity.entity_type_id) as EntityType;
    const full: Record<string, unknown> = {
      ...this.taskJson(t),
      entity: { ...this.entityJson(entity), type: 'Entity' },
      entity_type: {
        id: entityType.id,
        name: entityType.name,
        short_name: '',
        description: null,
        archived: false,
        created_at: this.createdAt,
        updated_at: this.createdAt,
        type: 'EntityType',
      },
      is_subscribed: false,
      persons: t.assignees.flatMap((id) =>
        this.persons.has(id) ? [this.personFull(this.persons.get(id) as Person)] : [],
      ),
      project: this.projectJson(project),
      task_status: this.taskStatusJson(status),
      task_type: this.taskTypeJson(type),
      type: 'Task',
      assigner: this.personFull(this.users.manager),
    };
    const sequence =
      entity.kind === 'Sequence'
        ? entity
        : entity.kind === 'Shot' && entity.parent_id
          ? this.entities.get(entity.parent_id)
          : undefined;
    if (entity.parent_id && sequence) {
      full.sequence = this.entityJson(sequence);
      const episode = sequence.parent_id ? this.entities.get(sequence.parent_id) : undefined;
      if (episode) full.episode = this.entityJson(episode);
    }
    return full;
  }

  /** `data/assets/<id>`, `data/shots/<id>`…: the row plus the names Zou's get_full_* add. */
  entityFullJson(e: Entity): Record<string, unknown> {
    const json = this.entityJson(e);
    const project = this.projects.get(e.project_id);
    const extra: Record<string, unknown> = { project_name: project?.name ?? null };
    const parent = e.parent_id ? this.entities.get(e.parent_id) : undefined;
    if (e.kind === 'Asset') {
      // assets_service.get_full_asset
      const type = this.entityTypes.get(e.entity_type_id);
      Object.assign(extra, {
        asset_type_id: e.entity_type_id,
        asset_type_name: type?.name ?? null,
        tasks: this.tasksOf(e.id).map((t) => this.taskJson(t)),
      });
      delete json.source_id;
      delete json.nb_frames;
    } else if (e.kind === 'Shot') {
      // shots_service.get_full_shot (get_shots_and_tasks)
      const episode = parent?.parent_id ? this.entities.get(parent.parent_id) : undefined;
      Object.assign(extra, {
        sequence_id: parent?.id ?? null,
        sequence_name: parent?.name ?? null,
        episode_id: episode?.id ?? null,
        episode_name: episode?.name ?? null,
        tasks: this.tasksOf(e.id).map((t) => this.taskJson(t)),
      });
    } else if (e.kind === 'Sequence' && parent) {
      // shots_service.get_full_sequence
      Object.assign(extra, { episode_id: parent.id, episode_name: parent.name });
    }
    return { ...json, ...extra };
  }

  commentJson(c: Comment): Record<string, unknown> {
    return {
      id: c.id,
      created_at: c.createdAt,
      updated_at: c.createdAt,
      shotgun_id: null,
      object_id: c.task_id,
      object_type: 'Task',
      text: c.text,
      data: null,
      replies: [],
      checklist: null,
      pinned: false,
      links: [],
      for_client: false,
      task_status_id: c.task_status_id,
      person_id: c.person_id,
      editor_id: null,
      preview_file_id: null,
      attachment_files: [],
      type: 'Comment',
    };
  }

  previewJson(p: PreviewFile): Record<string, unknown> {
    return {
      id: p.id,
      created_at: p.createdAt,
      updated_at: p.createdAt,
      name: `${p.id.slice(0, 8)}`,
      original_name: `v${p.revision}.${p.extension}`,
      revision: p.revision,
      position: 1,
      extension: p.extension,
      description: null,
      path: null,
      source: 'webgui',
      file_size: 0,
      status: 'ready',
      validation_status: 'neutral',
      annotations: [],
      task_id: p.task_id,
      person_id: p.person_id,
      source_file_id: null,
      shotgun_id: null,
      is_movie: p.extension === 'mp4' || p.extension === 'mov',
      url: null,
      uploaded_movie_url: null,
      uploaded_movie_name: null,
      type: 'PreviewFile',
    };
  }
}

function keepBounded<T extends { id: string }>(map: Map<string, T>, item: T): void {
  map.set(item.id, item);
  if (map.size > MAX_KEPT_COMMENTS) map.delete(map.keys().next().value as string);
}
