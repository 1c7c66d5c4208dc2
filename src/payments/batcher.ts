// A group-commit micro-batcher: concurrent requests wait at most windowMs (or until sizeMax
// are queued), then run together as one batch — for redemptions, one database transaction
// with one ledger batch, so the hot merchant account row and the audit head are locked once
// per batch instead of once per payment. While a batch runs, the next one fills; it starts
// as soon as a slot frees, without waiting another window. A batch that has sent its COMMIT
// and only waits for the answer (the WAL flush, a round trip) may give its slot back
// (`committing`): the next batch then reads and decides while it commits.

interface BatcherOptions {
  windowMs: number;
  sizeMax: number;
  inFlightMax: number;
  /** Batches that may commit having given their slot back (0: none gives it back). */
  committingMax: number;
}

/** Running totals since start, for metrics and benchmarks. */
export interface BatcherStats {
  batches: number;
  items: number;
  /** Milliseconds with at least one batch running. */
  busyMs: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Runs one batch. `committing` says the batch has sent everything but waits for its commit:
 * it gives back its slot, so that the next batch starts, unless committingMax batches are
 * committing already (then the batch keeps its slot until it ends).
 */
type BatchRun<I, O> = (items: I[], committing: () => void) => Promise<O[]>;

export class MicroBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Batches holding a slot: running, or committing without having given it back. */
  private inFlight = 0;
  /** Batches that gave their slot back and wait for their commit. */
  private committing = 0;
  private readonly totals: BatcherStats = { batches: 0, items: 0, busyMs: 0 };
  private busySince = 0;

  constructor(
    private readonly run: BatchRun<I, O>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  /** Batches running now (committing ones included) and requests waiting. */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight + this.committing, queued: this.queue.length };
  }

  /**
   * Batches run, requests in them and busy time so far: time with at least one batch running
   * or committing (the current stretch included).
   */
  get stats(): BatcherStats {
    const running = this.active > 0 ? performance.now() - this.busySince : 0;
    return { ...this.totals, busyMs: this.totals.busyMs + running };
  }

  private get active(): number {
    return this.inFlight + this.committing;
  }

  private kick(): void {
    if (this.inFlight >= this.options.inFlightMax) return;
    if (this.queue.length >= this.options.sizeMax) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 || this.inFlight >= this.options.inFlightMax) return;
    const batch = this.queue.splice(0, this.options.sizeMax);
    if (this.active === 0) this.busySince = performance.now();
    this.inFlight += 1;
    this.totals.batches += 1;
    this.totals.items += batch.length;
    let slotGiven = false;
    const committing = () => {
      if (slotGiven || this.committing >= this.options.committingMax) return;
      slotGiven = true;
      this.inFlight -= 1;
      this.committing += 1;
      if (this.queue.length > 0) this.flush();
    };
    this.run(
      batch.map((w) => w.item),
      committing,
    )
      .then(
        (out) => batch.forEach((w, i) => w.resolve(out[i]!)),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        if (slotGiven) this.committing -= 1;
        else this.inFlight -= 1;
        if (this.active === 0) this.totals.busyMs += performance.now() - this.busySince;
        // Whoever queued meanwhile has waited long enough: go at once.
        if (this.queue.length > 0) this.flush();
      });
  }
}
