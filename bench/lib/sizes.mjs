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
  // openloop: the highest fixed rate with p99 ingest→arrival ≤ openloopP99Ms, nothing lost
  openloopStartRate: 1000, // events/s of the first step
  openloopGrowth: 1.25, // each passing step multiplies the rate by this
  openloopRefineSteps: 2, // then bisect (geometric mean) between the last pass and the first fail
  openloopMinRate: 250, // if the first step fails, the rate halves down to this
  openloopMaxRate: 60_000,
  openloopMaxSteps: 24,
  openloopStepMs: 5000, // measured part of a step
  openloopWarmupMs: 2000, // sent at the step's rate before it, not counted
  openloopFirstWarmupMs: 3000, // the first step's (JIT warm-up of every process)
  openloopDrainMs: 10_000, // after the last send, every accepted event must have arrived within this
  openloopRecoverMs: 60_000, // after a failing step, wait this long at most for its backlog to arrive
  openloopPauseMs: 1000, // idle between steps, so one step's after-work (checkpoints, GC) does not land in the next
  openloopP99Ms: 100,
  openloopLateMs: 25, // a send that leaves later than this after its scheduled instant is late (a quarter of the p99 bound)
  openloopLatePct: 1, // more late sends than this % of a step: the generator did not keep up
  openloopConnections: 256,
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
  openloopGrowth: 1.5,
  openloopRefineSteps: 1,
  openloopMaxSteps: 14,
  openloopStepMs: 2000,
  openloopWarmupMs: 1000,
  openloopFirstWarmupMs: 2000,
  openloopDrainMs: 5000,
  openloopRecoverMs: 30_000,
  destinationsN: 20_000,
};

export function sizes(ctx) {
  return { ...(ctx.quick ? QUICK : FULL), ...(ctx.sizeOverrides ?? {}) };
}
