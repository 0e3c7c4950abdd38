/** The latency objective every Deployment declares, ms: the bounds, the report and the calibration judge latency by it. */
export const SLO_ANNOTATION = 'inferscale.dev/latency-slo-ms';
