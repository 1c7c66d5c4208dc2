// A group-commit micro-batcher: concurrent requests wait at most windowMs (or until sizeMax
// are queued), then run together as one batch — for redemptions, one database transaction
// with one ledger batch, so the hot merchant account row and the audit head are locked once
// per batch instead of once per payment. While a batch commits, the next one fills; it
// starts as soon as a slot frees, without waiting another window.

interface BatcherOptions {
  windowMs: number;
  sizeMax: number;
  inFlightMax: number;
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

export class MicroBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly totals: BatcherStats = { batches: 0, items: 0, busyMs: 0 };
  private busySince = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  /** Batches running now and requests waiting, for tests and metrics. */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.queue.length };
  }

  /** Batches run, requests in them and busy time so far (the running batch's time included). */
  get stats(): BatcherStats {
    const running = this.inFlight > 0 ? performance.now() - this.busySince : 0;
    return { ...this.totals, busyMs: this.totals.busyMs + running };
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
    if (this.inFlight === 0) this.busySince = performance.now();
    this.inFlight += 1;
    this.totals.batches += 1;
    this.totals.items += batch.length;
    this.run(batch.map((w) => w.item))
      .then(
        (out) => batch.forEach((w, i) => w.resolve(out[i]!)),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.inFlight === 0) this.totals.busyMs += performance.now() - this.busySince;
        // Whoever queued meanwhile has waited long enough: go at once.
        if (this.queue.length > 0) this.flush();
      });
  }
}
