/**
 * Progress fan-out for one training session: trainers report every generation (hundreds a second on small
 * grids), the window needs at most a few a second. A growth evaluation always goes out at once (it is a chart
 * point of its own); other events go out at most once per `intervalMs`, the newest one winning, and a held
 * event is sent when the interval ends or the session flushes.
 */
import type { RunProgressEvent } from '../../shared/lab-api';

export class ProgressThrottle {
  private lastEmit = 0;
  private pending: RunProgressEvent | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly send: (p: RunProgressEvent) => void,
  ) {}

  push(p: RunProgressEvent): void {
    const now = this.now();
    if (p.eval40 !== undefined || now - this.lastEmit >= this.intervalMs) {
      this.emit(p);
    } else {
      this.pending = p;
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs - (now - this.lastEmit));
    }
  }

  /** Sends the held event, if any (the session ended, or its interval is up). */
  flush(): void {
    if (this.pending) this.emit(this.pending);
    else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private emit(p: RunProgressEvent): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    this.lastEmit = this.now();
    this.send(p);
  }
}
