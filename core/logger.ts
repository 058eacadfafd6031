/**
 * Structured JSON logs (pino). Rule: ids, counts, types and durations only — never document text,
 * quotes or patient fields.
 */
import { pino } from 'pino';

export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'medextract', pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: ['*.apiKey', '*.password', '*.text', '*.quote', 'req.headers.authorization'], censor: '[redacted]' },
});
