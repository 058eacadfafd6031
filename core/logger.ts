/**
 * Structured JSON logs (pino). Rule: ids, counts, types and durations only — never document text,
 * quotes or patient fields.
 *
 * The logger reads nothing from the environment: it starts at `info`, and `config()` (core/config.ts)
 * sets the validated LOG_LEVEL once the configuration is loaded, so a bad value gets the one-line
 * configuration report like every other setting.
 */
import { pino } from 'pino';

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logger = pino({
  level: 'info',
  base: { service: 'medextract', pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: ['*.apiKey', '*.password', '*.text', '*.quote', 'req.headers.authorization'], censor: '[redacted]' },
});

/** Sets the level of every log line from now on (pino child loggers keep the level they were made with: make none before config). */
export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}
