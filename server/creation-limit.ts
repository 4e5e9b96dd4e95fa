// How many shares one client address may create per window, in this process's memory. Only
// creations count: an upload takes a slot before its body is read (so concurrent uploads cannot
// slip past the limit together) and gives it back if it is refused for any reason (400, 413,
// 415, a dropped connection), so a client that sends a bad file is not locked out by it.

/** A slot held by an upload in flight: keep it once the share exists, give it back otherwise. */
export interface Slot {
  commit(): void;
  release(): void;
}

interface Window {
  /** Shares created plus uploads in flight in this window. */
  used: number;
  endsAt: number;
}

/** Addresses remembered at most; past it the oldest windows are forgotten (see server/README.md). */
const MAX_ADDRESSES = 100_000;

export class CreationLimiter {
  private windows = new Map<string, Window>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxAddresses = MAX_ADDRESSES,
  ) {}

  /** A slot for `address`, or how long until its window ends (ms) when it has none left. */
  take(address: string): Slot | { retryAfterMs: number } {
    const t = this.now();
    let w = this.windows.get(address);
    if (!w || w.endsAt <= t) {
      // A fresh window goes to the back of the map, so the map stays in window-start order and
      // the stale ones are found at its front.
      if (w) this.windows.delete(address);
      this.makeRoom(t);
      w = { used: 0, endsAt: t + this.windowMs };
      this.windows.set(address, w);
    }
    if (w.used >= this.max) return { retryAfterMs: w.endsAt - t };
    w.used++;
    const window = w;
    let settled = false;
    return {
      commit: () => {
        settled = true;
      },
      release: () => {
        // Once only, and never into a later window that has replaced this one.
        if (settled) return;
        settled = true;
        if (this.windows.get(address) === window && window.used > 0) window.used--;
      },
    };
  }

  private makeRoom(t: number): void {
    for (const [address, w] of this.windows) {
      if (this.windows.size < this.maxAddresses && w.endsAt > t) break;
      this.windows.delete(address);
    }
  }
}

/** "1h", "10m", "90s", "2d" or a number of seconds, in milliseconds; null if not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(m[1]) * unit * 1000);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}

/** A window for messages: "1 h", "10 min", "90 s". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  return `${Math.round(s * 1000) / 1000} s`;
}
