/**
 * Leadership among the bridges of one stream: a lease key with an expiry, and a fencing
 * number that grows with every new holder (see LEASE_SCRIPT). Only the holder of the newest
 * number can write (WRITE_SCRIPT checks it), so two bridges that each believe they lead, one
 * of them paused or cut off past its lease, never both write.
 */
import type { BusKeys } from './keys.js';
import { LEASE_SCRIPT, RELEASE_SCRIPT } from './scripts.js';
import type { RedisLink } from './redis.js';

export type LeaseAnswer =
  | { kind: 'renewed'; fence: string }
  | { kind: 'taken'; fence: string }
  | { kind: 'held'; holder: string; ttlMs: number };

export class Lease {
  /** The fencing number this bridge holds, or null when it does not lead. */
  fence: string | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: BusKeys,
    /** Names this process among the bridges: host, pid and a random part. */
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  private get keyList(): string[] {
    return [this.keys.stream, this.keys.state, this.keys.lease, this.keys.recent];
  }

  /** Takes the lease when free, renews it when ours; tells who holds it otherwise. */
  async tryHold(): Promise<LeaseAnswer> {
    const reply = (await this.link.eval(LEASE_SCRIPT, this.keyList, [
      this.owner,
      String(this.ttlMs),
      this.fence ?? '',
    ])) as unknown[];
    const code = Number(reply[0]);
    if (code === 1) return { kind: 'renewed', fence: String(reply[1]) };
    if (code === 2) {
      this.fence = String(reply[1]);
      return { kind: 'taken', fence: this.fence };
    }
    this.fence = null;
    return { kind: 'held', holder: String(reply[1]), ttlMs: Number(reply[2]) };
  }

  /** Lets a standby take over at once (a clean stop); harmless when the lease is gone. */
  async release(): Promise<void> {
    if (this.fence === null) return;
    const fence = this.fence;
    this.fence = null;
    await this.link.eval(RELEASE_SCRIPT, this.keyList, [this.owner, fence]);
  }
}

/** `OWNER/FENCE` → its two parts, for messages. */
export function describeHolder(holder: string): string {
  const slash = holder.lastIndexOf('/');
  return slash === -1 ? holder : `${holder.slice(0, slash)} (fence ${holder.slice(slash + 1)})`;
}
