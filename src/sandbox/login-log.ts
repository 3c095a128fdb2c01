/** Zou's `login_log` table: one row a successful login, read newest first. */
import { randomUUID } from 'node:crypto';

export interface LoginLogRow {
  id: string;
  createdAtUs: number;
  ip_address: string;
  person_id: string;
  origin: 'web' | 'script';
}

export class LoginLogStore {
  readonly rows: LoginLogRow[] = [];

  add(createdAtUs: number, personId: string, ipAddress: string, origin: 'web' | 'script'): LoginLogRow {
    const row = { id: randomUUID(), createdAtUs, ip_address: ipAddress, person_id: personId, origin };
    this.rows.push(row);
    return row;
  }

  query(q: { beforeUs?: number; afterUs?: number; limit: number; personIds?: ReadonlySet<string> }): LoginLogRow[] {
    const out: LoginLogRow[] = [];
    for (let i = this.rows.length - 1; i >= 0 && out.length < q.limit; i -= 1) {
      const row = this.rows[i] as LoginLogRow;
      if (q.beforeUs !== undefined && row.createdAtUs >= q.beforeUs) continue;
      if (q.afterUs !== undefined && row.createdAtUs <= q.afterUs) break;
      if (q.personIds && !q.personIds.has(row.person_id)) continue;
      out.push(row);
    }
    return out;
  }
}
