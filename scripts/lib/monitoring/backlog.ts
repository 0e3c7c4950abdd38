// The batch client's backlog as Prometheus sees it: the series scripts/lib/loadtest/batch.ts
// exports, and the host job scripts/lib/monitoring/prometheus-config.ts scrapes it with.

export const BACKLOG_METRIC = 'inference_batch_backlog';
/** Where the embedded cluster's Prometheus scrapes the backlog. */
export const BACKLOG_PORT = 9470;
