import type { Delivery, DeliveryStatus } from '../api/types';

const LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  batched: 'In a digest',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
};
const TONE: Record<DeliveryStatus, string> = { pending: 'wait', batched: 'wait', succeeded: 'ok', failed: 'bad', skipped: 'muted', cancelled: 'muted' };

export function DeliveryStatusBadge({ d }: { d: Pick<Delivery, 'status' | 'is_test'> }) {
  return (
    <>
      <span className={`badge ${TONE[d.status]}`}>{LABELS[d.status]}</span>
      {d.is_test && <span className="badge test">Test</span>}
    </>
  );
}

export const STATUS_OPTIONS: DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'skipped', 'cancelled', 'batched'];
export const statusLabel = (s: DeliveryStatus) => LABELS[s];
