import { type Logger, pino } from "pino";

export type { Logger };

/**
 * shopsim's one diagnostic logger (pino, JSON lines on stderr). Trajectories are data, not logs;
 * this is for what an operator needs to see. Give each job or component a child logger.
 */
export function createLogger(level: string = "info"): Logger {
  return pino({ level, base: { app: "shopsim" } }, pino.destination(2));
}

/** A logger that drops everything, for library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
