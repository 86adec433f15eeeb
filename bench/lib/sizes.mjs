// Every count and duration of the suite, full and quick, in one table.
const FULL = {
  ceilingMs: 5000,
  drainN: 100_000,
  e2eMs: 10_000,
  e2eWarmupMs: 2000, // sent but not counted: JIT warm-up of every process
  latencyMs: 20_000,
  latencyWarmupMs: 3000,
  latencyRate: 1000,
  fanoutEvents: 1000, // × 100 webhooks = 100,000 deliveries
  fanoutWebhooks: 100,
  backlogN: 1_000_000,
  slowEvents: 5000, // × 20 webhooks = 100,000 deliveries
  slowWebhooks: 20,
  slowDelayMs: 100,
  pgStatsN: 20_000, // drain run through the statement-counting proxy
  batchConcurrency: 4,
  destinationsN: 50_000, // per destination kind (http, redis-stream, nats, amqp)
};

const QUICK = {
  ...FULL,
  ceilingMs: 2000,
  drainN: 20_000,
  e2eMs: 3000,
  e2eWarmupMs: 1500,
  latencyMs: 5000,
  latencyWarmupMs: 3000,
  fanoutEvents: 200,
  backlogN: 100_000,
  slowEvents: 1000,
  pgStatsN: 10_000,
  destinationsN: 20_000,
};

export function sizes(ctx) {
  return { ...(ctx.quick ? QUICK : FULL), ...(ctx.sizeOverrides ?? {}) };
}
