/**
 * Script calls sent back to back, their replies applied in the order they were sent.
 *
 * A backlog goes at the pace of the slowest of three: the log read, this process encoding the
 * entries, and Redis running the script. With one call at a time the last two alternate (this
 * process idles while Redis runs a call, and Redis while the next is encoded); with a few in
 * flight they overlap. What keeps it exactly once is in WRITE_SCRIPT: each call carries a
 * sequence number and Redis refuses one out of turn, so a call lost on the way never has a
 * later one written after it.
 *
 * After the first failure nothing more is sent; `drain` rejects with that failure once every
 * call sent has settled (a call whose reply was lost may still have run: the caller reads the
 * state from Redis again before it goes on).
 */
export class CallPipeline {
  private readonly sent: Promise<void>[] = [];
  private applied: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  constructor(private readonly maxInFlight: number) {}

  /** The first failure, if any (nothing is sent after it). */
  get failed(): boolean {
    return this.failure !== null;
  }

  /**
   * Sends a call now (after waiting while `maxInFlight` are unanswered); `apply` gets its reply
   * after every earlier call's `apply` ran. Rejects when an earlier call failed; else resolves,
   * once sent, to `applied`: settles when this call's reply was applied (or failed).
   */
  async push<T>(send: () => Promise<T>, apply: (reply: T) => void): Promise<{ applied: Promise<void> }> {
    while (this.sent.length >= this.maxInFlight) await this.settleOldest();
    if (this.failure) throw this.failure.error;
    const reply = send();
    reply.catch(() => undefined); // Seen through `applied`, below.
    const done = this.applied.then(() => reply).then(apply);
    this.applied = done;
    const settled = done.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.sent.push(settled);
    return { applied: done };
  }

  /** Waits for every call sent; rejects with the first failure. */
  async drain(): Promise<void> {
    while (this.sent.length > 0) await this.settleOldest();
    if (this.failure) throw this.failure.error;
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.sent[0];
    await oldest;
    // Two pushes (the log reads and a live event) may wait on the same call.
    if (this.sent[0] === oldest) this.sent.shift();
  }
}
