/** Health, readiness and metrics: response shapes. */
import { z } from 'zod';

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

const CheckSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional().describe('what failed, without internals') });
export type Check = z.infer<typeof CheckSchema>;

export const ReadinessSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({ postgres: CheckSchema, temporal: CheckSchema }),
  })
  .meta({ id: 'Readiness' });
export type Readiness = z.infer<typeof ReadinessSchema>;
