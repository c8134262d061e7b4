/**
 * Where the master's time goes in an ES generation (thesis Algorithm 2, spec c.8): everything the session does
 * itself while its workers wait for it is the serial part of a generation, which caps the speed-up from more
 * workers (Amdahl) and dominates once the population evaluates fast. `nca-lab bench es` reads one of these per
 * case; a session without one pays two `performance.now()` calls per phase and nothing else.
 *
 * Phases, in the order a generation meets them:
 *  - loop: the training loop between two generations (metric rows and their flush to disk, progress events,
 *    the growth evaluation every `evalEvery`, checkpoints, the yield to the event loop);
 *  - ask: the strategy's θ and σ, the sample-pool draw;
 *  - send: building and encoding the slice jobs until they are on their way to the workers;
 *  - noise: noise the master builds for the update while the workers evaluate (overlapped in time, but on the
 *    master's core: on a machine with one worker per core it takes a worker's share of the CPU);
 *  - wait: waiting for the workers' losses (not the master's work; decoding their answers happens in it);
 *  - rank: fitness and its shaping (c.3);
 *  - sums: the weighted noise sums of the update (c.4) as far as the master computes or requests them;
 *  - sumsWait: waiting for workers that compute those sums (not the master's work);
 *  - tell: the rest of the strategy's update (Adam moments, σ, decay);
 *  - pool: writing the best member's states back to the sample pool, the generation's loss figures.
 */

export const ES_MASTER_PHASES = ['loop', 'ask', 'send', 'noise', 'wait', 'rank', 'sums', 'sumsWait', 'tell', 'pool'] as const;
export type EsMasterPhase = (typeof ES_MASTER_PHASES)[number];

/** The phases in which the master waits for its workers: the rest is its own (serial) work. */
export const ES_WAIT_PHASES: readonly EsMasterPhase[] = ['wait', 'sumsWait'];

export type EsMasterTimes = Record<EsMasterPhase, number>;

const zeroTimes = (): EsMasterTimes => Object.fromEntries(ES_MASTER_PHASES.map((p) => [p, 0])) as EsMasterTimes;

export class EsMasterProbe {
  /** milliseconds per phase, summed over the generations counted since the last reset */
  ms: EsMasterTimes = zeroTimes();
  /** the master's own work of each generation counted, ms (a machine's other load shows as outliers here) */
  serialSamples: number[] = [];
  generations = 0;
  private at = 0;
  private lastEnd: number | null = null;
  private serial = 0;

  /** A generation begins: the time since the last one ended was the loop's. */
  begin(): void {
    const now = performance.now();
    this.serial = 0;
    if (this.lastEnd !== null) this.add('loop', now - this.lastEnd);
    this.at = now;
  }

  /** The time since the last mark was spent in `phase`. */
  lap(phase: EsMasterPhase): void {
    const now = performance.now();
    this.add(phase, now - this.at);
    this.at = now;
  }

  /** The generation is done (the time to the next `begin` is the loop's, counted with the next generation). */
  end(): void {
    this.lap('pool');
    this.lastEnd = this.at;
    this.generations++;
    this.serialSamples.push(this.serial);
  }

  /** Forgets what was counted (after a warm-up), keeping the clock of the last generation's end. */
  reset(): void {
    this.ms = zeroTimes();
    this.serialSamples = [];
    this.generations = 0;
  }

  /**
   * Milliseconds per generation: each phase's mean, and the master's own work (every phase but the waits): mean,
   * median, and least (the generation the machine's other load disturbed least: on a busy machine, the figure
   * nearest to the work itself).
   */
  perGeneration(): { parts: EsMasterTimes; serialMs: number; serialMedianMs: number; serialMinMs: number } {
    const n = Math.max(1, this.generations);
    const parts = zeroTimes();
    let serialMs = 0;
    for (const p of ES_MASTER_PHASES) {
      parts[p] = this.ms[p] / n;
      if (!ES_WAIT_PHASES.includes(p)) serialMs += parts[p];
    }
    const sorted = [...this.serialSamples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const serialMedianMs = sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { parts, serialMs, serialMedianMs, serialMinMs: sorted.length === 0 ? 0 : sorted[0] };
  }

  private add(phase: EsMasterPhase, ms: number): void {
    this.ms[phase] += ms;
    if (!ES_WAIT_PHASES.includes(phase)) this.serial += ms;
  }
}
