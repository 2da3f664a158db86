import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { ShopEvent } from "../src/contracts/shop.ts";

export type NewEvent = Omit<ShopEvent, "seq" | "ts">;

/**
 * The shop's append-only event log: one JSON line per shopper request, written to a file when one
 * is given, and indexed in memory by session so a runner can read a session's events back.
 */
export class EventLog {
  readonly path: string | null;
  private readonly stream: WriteStream | null;
  private readonly bySession = new Map<string, ShopEvent[]>();
  private seq = 0;
  private closed = false;

  constructor(path: string | null) {
    this.path = path;
    if (path) {
      mkdirSync(dirname(path), { recursive: true });
      this.stream = createWriteStream(path, { flags: "a" });
    } else {
      this.stream = null;
    }
  }

  append(event: NewEvent): ShopEvent {
    const full: ShopEvent = { seq: this.seq++, ts: new Date().toISOString(), ...event };
    let list = this.bySession.get(full.session_id);
    if (!list) {
      list = [];
      this.bySession.set(full.session_id, list);
    }
    list.push(full);
    if (this.stream && !this.closed) this.stream.write(`${JSON.stringify(full)}\n`);
    return full;
  }

  forSession(sessionId: string): readonly ShopEvent[] {
    return this.bySession.get(sessionId) ?? [];
  }

  sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  get size(): number {
    return this.seq;
  }

  /** Forgets the in-memory index; the file keeps every line (it is append-only). */
  clearMemory(): void {
    this.bySession.clear();
  }

  /** Flushes and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed || !this.stream) {
      this.closed = true;
      return;
    }
    this.closed = true;
    const stream = this.stream;
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}
