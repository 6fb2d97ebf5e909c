import { type EventLoopUtilization, performance } from "node:perf_hooks";

/** Peaks are taken over windows of this length. */
const WINDOW_MS = 1000;

export interface Usage {
  /** CPU of the whole process (all threads) as a share of one core. */
  cpuShareOfOneCore: number;
  /** The highest share over any WINDOW_MS window. */
  cpuPeakShareOfOneCore: number;
  /** Share of wall time the event loop was busy (not waiting for I/O): 1 means the sender could do no more. */
  eventLoopBusyShare: number;
  eventLoopBusyPeak: number;
}

interface Sample {
  wallMs: number;
  cpuUs: number;
  elu: EventLoopUtilization;
}

/** The generator's own CPU and event-loop use, over a whole load and at its busiest second. */
export class UsageMeter {
  private readonly first: Sample;
  private readonly recent: Sample[] = [];
  private cpuPeak = 0;
  private busyPeak = 0;

  constructor() {
    this.first = take();
    this.recent.push(this.first);
  }

  /** Call every few hundred ms; keeps the peaks over WINDOW_MS windows. */
  sample(): void {
    const now = take();
    while (this.recent.length > 1 && now.wallMs - this.recent[1]!.wallMs >= WINDOW_MS) this.recent.shift();
    const from = this.recent[0]!;
    if (now.wallMs - from.wallMs >= WINDOW_MS) {
      const { cpu, busy } = between(from, now);
      this.cpuPeak = Math.max(this.cpuPeak, cpu);
      this.busyPeak = Math.max(this.busyPeak, busy);
    }
    this.recent.push(now);
  }

  result(): Usage {
    const { cpu, busy } = between(this.first, take());
    return {
      cpuShareOfOneCore: round3(cpu),
      cpuPeakShareOfOneCore: round3(Math.max(cpu, this.cpuPeak)),
      eventLoopBusyShare: round3(busy),
      eventLoopBusyPeak: round3(Math.max(busy, this.busyPeak)),
    };
  }
}

function take(): Sample {
  const c = process.cpuUsage();
  return { wallMs: performance.now(), cpuUs: c.user + c.system, elu: performance.eventLoopUtilization() };
}

function between(a: Sample, b: Sample): { cpu: number; busy: number } {
  const wall = Math.max(1, b.wallMs - a.wallMs);
  return { cpu: (b.cpuUs - a.cpuUs) / 1000 / wall, busy: performance.eventLoopUtilization(b.elu, a.elu).utilization };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
