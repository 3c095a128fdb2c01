/**
 * Believable production activity: tasks moving through statuses with comments and previews,
 * assignments, new assets and shots with their tasks, people and project settings changing.
 * Each action yields the events Zou emits for it, with the payload keys Zou uses (src/kitsu/README.md, Event stream).
 * Deterministic: the same world seed and the same calls give the same events.
 */
import type { Random } from './random.js';
import type { Comment, Entity, Project, Task, World } from './world.js';

export interface GeneratedEvent {
  name: string;
  data: Record<string, unknown>;
  userId: string | null;
}

/** Beyond this many entities a project only changes existing ones, so memory stays bounded. */
const MAX_ENTITIES_PER_PROJECT = 400;
const EXTENSIONS = ['mp4', 'mp4', 'png', 'jpg', 'mov'];
const NEXT_STATUS: Record<string, string[]> = {
  todo: ['ready', 'wip'],
  ready: ['wip'],
  wip: ['wfa', 'wfa', 'wip'],
  wfa: ['done', 'retake', 'done'],
  retake: ['wip'],
  done: ['retake', 'done'],
};

export class ActivityGenerator {
  private readonly r: Random;
  private readonly entityCount = new Map<string, number>();
  private serial = 0;
  private readonly common: readonly (readonly [() => GeneratedEvent[], number])[];
  private readonly liveOnly: readonly (readonly [() => GeneratedEvent[], number])[];

  constructor(private readonly world: World) {
    this.r = world.random;
    for (const e of world.entities.values())
      this.entityCount.set(e.project_id, (this.entityCount.get(e.project_id) ?? 0) + 1);
    this.common = [
      [() => this.statusChange(), 30],
      [() => this.comment(), 14],
      [() => this.reply(), 4],
      [() => this.commentUpdate(), 3],
      [() => this.assign(), 8],
      [() => this.unassign(), 2],
      [() => this.taskUpdate(), 10],
      [() => this.entityUpdate(), 6],
      [() => this.newAsset(), 1.5],
      [() => this.newShot(), 1.5],
      [() => this.deleteAsset(), 0.3],
      [() => this.deleteTask(), 0.3],
      [() => this.personChange(), 1.2],
      [() => this.projectChange(), 0.6],
      [
        () => [
          {
            name: 'organisation:update',
            data: { organisation_id: this.world.organisation.id },
            userId: this.world.users.admin.id,
          },
        ],
        0.2,
      ],
    ];
    this.liveOnly = [...this.common, [() => this.chat(), 2]];
  }

  /**
   * The events of one action, in the order Zou emits them. `live` allows the events Zou never
   * persists (notifications, chat), which a generated history cannot contain.
   */
  action(live: boolean): GeneratedEvent[] {
    const events = this.r.weighted(live ? this.liveOnly : this.common)();
    if (live && this.r.chance(0.15)) {
      const first = events[0];
      const personId = first && typeof first.data.person_id === 'string' ? first.data.person_id : this.randomPersonId();
      events.push({
        name: 'notification:new',
        data: { notification_id: this.r.uuid(), person_id: personId, project_id: first?.data.project_id ?? null },
        userId: null,
      });
    }
    return events;
  }

  private randomPersonId(): string {
    return this.r.pick([...this.world.persons.values()].filter((p) => p.active && !p.is_bot)).id;
  }

  private task(): Task {
    return this.r.pick(this.world.taskList);
  }

  private actor(project: Project | undefined): string {
    return project && project.team.length > 0 ? this.r.pick(project.team) : this.world.users.admin.id;
  }

  private statusChange(): GeneratedEvent[] {
    const task = this.task();
    const project = this.world.projects.get(task.project_id);
    const previous = this.world.statusById(task.task_status_id);
    const nextShort = this.r.pick(NEXT_STATUS[previous?.short_name ?? 'todo'] ?? ['wip']);
    const next = this.world.status(nextShort);
    const reviewer = nextShort === 'done' || nextShort === 'retake';
    const personId = reviewer ? this.world.users.totp.id : (task.assignees[0] ?? this.actor(project));
    task.task_status_id = next.id;
    const commentId = this.r.uuid();
    const p = task.project_id;
    const events: GeneratedEvent[] = [];
    this.world.addComment(task, personId, commentId, nextShort === 'wfa' ? 'Ready for review' : '');
    if (nextShort === 'wfa') {
      task.revision += 1;
      const previewId = this.r.uuid();
      const extension = this.r.pick(EXTENSIONS);
      this.world.addPreview(task, commentId, personId, previewId, extension);
      events.push({
        name: 'preview-file:new',
        data: { preview_file_id: previewId, comment_id: commentId, project_id: p },
        userId: personId,
      });
      events.push({
        name: 'preview-file:add-file',
        data: {
          comment_id: commentId,
          task_id: task.id,
          preview_file_id: previewId,
          revision: task.revision,
          extension,
          status: 'processing',
          project_id: p,
        },
        userId: personId,
      });
    }
    events.push({
      name: 'task:status-changed',
      data: {
        task_id: task.id,
        new_task_status_id: next.id,
        previous_task_status_id: previous?.id ?? null,
        person_id: personId,
        project_id: p,
      },
      userId: personId,
    });
    events.push({
      name: 'comment:new',
      data: { comment_id: commentId, task_id: task.id, task_status_id: next.id, project_id: p },
      userId: personId,
    });
    events.push({ name: 'task:update', data: { task_id: task.id, project_id: p }, userId: personId });
    return events;
  }

  private comment(): GeneratedEvent[] {
    const task = this.task();
    const personId = this.actor(this.world.projects.get(task.project_id));
    const comment = this.world.addComment(task, personId, this.r.uuid(), 'Looks good, small fix on the timing');
    return [
      {
        name: 'comment:new',
        data: {
          comment_id: comment.id,
          task_id: task.id,
          task_status_id: task.task_status_id,
          project_id: task.project_id,
        },
        userId: personId,
      },
      { name: 'task:update', data: { task_id: task.id, project_id: task.project_id }, userId: personId },
    ];
  }

  /** A reply to a comment still on record (a recent one), else a new comment. */
  private recentComment(): { comment: Comment; task: Task } | undefined {
    const recent = this.world.recentComments;
    if (recent.length === 0) return undefined;
    const comment = this.world.comments.get(this.r.pick(recent));
    const task = comment ? this.world.tasks.get(comment.task_id) : undefined;
    return comment && task ? { comment, task } : undefined;
  }

  private reply(): GeneratedEvent[] {
    const recent = this.recentComment();
    if (!recent) return this.comment();
    const { comment, task } = recent;
    const personId = this.actor(this.world.projects.get(task.project_id));
    return [
      {
        name: 'comment:reply',
        data: { comment_id: comment.id, task_id: task.id, reply_id: this.r.uuid(), project_id: task.project_id },
        userId: personId,
      },
    ];
  }

  private commentUpdate(): GeneratedEvent[] {
    const recent = this.recentComment();
    if (!recent) return this.comment();
    return [
      {
        name: 'comment:update',
        data: { comment_id: recent.comment.id, project_id: recent.task.project_id },
        userId: recent.comment.person_id,
      },
    ];
  }

  private assign(): GeneratedEvent[] {
    const task = this.task();
    const project = this.world.projects.get(task.project_id);
    const personId = this.actor(project);
    if (!task.assignees.includes(personId)) task.assignees.push(personId);
    return [
      {
        name: 'task:assign',
        data: { task_id: task.id, person_id: personId, project_id: task.project_id },
        userId: this.world.users.manager.id,
      },
    ];
  }

  private unassign(): GeneratedEvent[] {
    const task = this.task();
    const personId = task.assignees.pop();
    if (!personId) return this.assign();
    return [
      {
        name: 'task:unassign',
        data: { task_id: task.id, person_id: personId, project_id: task.project_id },
        userId: this.world.users.manager.id,
      },
    ];
  }

  private taskUpdate(): GeneratedEvent[] {
    const task = this.task();
    return [
      {
        name: 'task:update',
        data: { task_id: task.id, project_id: task.project_id },
        userId: this.actor(this.world.projects.get(task.project_id)),
      },
    ];
  }

  private entityUpdate(): GeneratedEvent[] {
    const entity = this.world.entities.get(this.task().entity_id) as Entity;
    const key = `${entity.kind.toLowerCase()}_id`;
    return [
      {
        name: `${entity.kind.toLowerCase()}:update`,
        data: { [key]: entity.id, project_id: entity.project_id },
        userId: this.actor(this.world.projects.get(entity.project_id)),
      },
    ];
  }

  private roomFor(project: Project): boolean {
    return (this.entityCount.get(project.id) ?? 0) < MAX_ENTITIES_PER_PROJECT;
  }

  private count(project: Project, n: number): void {
    this.entityCount.set(project.id, (this.entityCount.get(project.id) ?? 0) + n);
  }

  private newAsset(): GeneratedEvent[] {
    const project = this.r.pick([...this.world.projects.values()]);
    if (!this.roomFor(project)) return this.entityUpdate();
    this.serial += 1;
    const typeId = this.r.pick(this.world.assetTypeIds);
    const { asset, tasks } = this.world.addAsset(project.id, typeId, `Asset ${String(this.serial).padStart(4, '0')}`);
    this.count(project, 1);
    const userId = this.world.users.manager.id;
    return [
      { name: 'asset:new', data: { asset_id: asset.id, asset_type: typeId, project_id: project.id }, userId },
      ...tasks.map((t) => ({ name: 'task:new', data: { task_id: t.id, project_id: project.id }, userId })),
    ];
  }

  private newShot(): GeneratedEvent[] {
    const project = this.r.pick([...this.world.projects.values()]);
    const sequences = this.world.sequencesOf(project.id);
    if (!this.roomFor(project) || sequences.length === 0) return this.entityUpdate();
    this.serial += 1;
    const sequence = this.r.pick(sequences);
    const { shot, tasks } = this.world.addShot(project.id, sequence.id, `SH${String(1000 + this.serial)}`);
    this.count(project, 1);
    const userId = this.world.users.manager.id;
    return [
      { name: 'shot:new', data: { shot_id: shot.id, project_id: project.id }, userId },
      ...tasks.map((t) => ({ name: 'task:new', data: { task_id: t.id, project_id: project.id }, userId })),
    ];
  }

  /** An asset deleted with force: its tasks go first, then the asset (assets_service.remove_asset). */
  private deleteAsset(): GeneratedEvent[] {
    const assets = [...this.world.entities.values()].filter((e) => e.kind === 'Asset');
    // Keep each project a few assets, so that the activity stays about something.
    const asset = assets.length > 0 ? this.r.pick(assets) : undefined;
    if (!asset || assets.filter((a) => a.project_id === asset.project_id).length <= 3) return this.entityUpdate();
    this.count(this.world.projects.get(asset.project_id) as Project, -1);
    return deleteAssetEvents(this.world, asset).map((e) => ({ ...e, userId: this.world.users.manager.id }));
  }

  private deleteTask(): GeneratedEvent[] {
    const task = this.task();
    if (this.world.tasksOf(task.entity_id).length <= 1) return this.taskUpdate();
    this.world.removeTask(task.id);
    return [{ name: 'task:delete', data: taskDeleteData(task), userId: this.world.users.manager.id }];
  }

  private personChange(): GeneratedEvent[] {
    const personId = this.randomPersonId();
    const name = this.r.chance(0.3) ? 'person:set-thumbnail' : 'person:update';
    return [{ name, data: { person_id: personId }, userId: this.r.chance(0.5) ? personId : this.world.users.admin.id }];
  }

  private projectChange(): GeneratedEvent[] {
    const project = this.r.pick([...this.world.projects.values()]);
    const name = this.r.chance(0.25) ? 'project:set-thumbnail' : 'project:update';
    return [{ name, data: { project_id: project.id }, userId: this.world.users.admin.id }];
  }

  private chat(): GeneratedEvent[] {
    const task = this.task();
    const personId = this.actor(this.world.projects.get(task.project_id));
    return [
      {
        name: 'chat:new-message',
        data: {
          chat_id: this.r.uuid(),
          chat_message_id: this.r.uuid(),
          entity_id: task.entity_id,
          person_id: personId,
          project_id: task.project_id,
        },
        userId: personId,
      },
    ];
  }
}

/** `task:delete`'s payload (deletion_service.remove_task): the row is gone when it is sent. */
export function taskDeleteData(task: Task): Record<string, unknown> {
  return { task_id: task.id, entity_id: task.entity_id, task_type_id: task.task_type_id, project_id: task.project_id };
}

/** Removes an asset and its tasks from the world; the events Zou emits for it, in its order. */
export function deleteAssetEvents(world: World, asset: Entity): { name: string; data: Record<string, unknown> }[] {
  const tasks = world.removeAsset(asset.id);
  return [
    ...tasks.map((t) => ({ name: 'task:delete', data: taskDeleteData(t) })),
    { name: 'asset:delete', data: { asset_id: asset.id, project_id: asset.project_id } },
  ];
}

/** Generated activity emitted live at a steady rate, the events of one action kept together. */
export class LiveActivity {
  private rate = 0;
  private owed = 0;
  private pending: GeneratedEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastTickMs = 0;

  constructor(
    private readonly generator: ActivityGenerator,
    private readonly emit: (event: GeneratedEvent) => void,
  ) {}

  setRate(perSecond: number): void {
    if (!Number.isFinite(perSecond) || perSecond < 0)
      throw new Error(`rate must be 0 or more events a second, not ${perSecond}`);
    this.rate = perSecond;
    clearInterval(this.timer);
    this.timer = undefined;
    this.owed = 0;
    if (perSecond === 0) return;
    this.lastTickMs = Date.now();
    this.timer = setInterval(() => this.tick(), Math.min(1000, Math.max(10, 1000 / perSecond)));
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    this.owed += (this.rate * (now - this.lastTickMs)) / 1000;
    this.lastTickMs = now;
    while (this.owed >= 1) {
      if (this.pending.length === 0) this.pending = this.generator.action(true);
      this.emit(this.pending.shift() as GeneratedEvent);
      this.owed -= 1;
    }
  }
}
