import { resolve } from 'node:path';
import { numberFlag, parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { connect } from './lib/cluster/connect.ts';
import { parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { calibrationTarget } from './lib/calibrate/overlay.ts';
import { withOnePod } from './lib/calibrate/one-pod.ts';
import { calibrationDiff, calibrationYaml, writeCalibration, CALIBRATION_FILE } from './lib/calibrate/patch.ts';
import { calibrate } from './lib/calibrate/run.ts';
import { findLoadDriver } from './lib/loadtest/driver-binary.ts';
import { targetUrl } from './lib/loadtest/target.ts';
import { renderOverlay } from './lib/manifests/render.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/calibrate.ts --overlay <dir> [--url <base>] [--levels 1,2,3,4] [--seconds 20] [--warmup 5] [--dry-run] [--provider ${PROVIDERS.join('|')}]

Measures what one pod of the overlay's model server sustains: the load driver keeps 1, 2, 3 ...
requests in flight (the overlay's load request, inferscale.dev/load-request) and records the
throughput and latency of each level. From them: a request's cost alone, the knee where
throughput stops growing, and the most requests in flight whose p95 latency stays under the
SLO (inferscale.dev/latency-slo-ms). It prints the diff of the overlay's ${CALIBRATION_FILE} (the
capacity annotation inferscale.dev/capacity and the HPA's target), then writes it.

  --overlay <dir>     the overlay, deployed on the cluster (npm run e2e -- --overlay <dir> --keep,
                      or scripts/bootstrap.ts then scripts/reconcile.ts)
  --url <base>        measure this server instead (http://host:port; its one pod, whatever serves
                      there): nothing on a cluster is touched
  --levels <list>     requests in flight, rising; must start at 1 (default 1,2,3,4)
  --seconds <s>       measured seconds a level (default 20), after --warmup seconds (default 5)
  --dry-run           print the diff, write nothing
  --provider <name>   the cluster (default: the embedded cluster if it runs, else the current context)
On the cluster the HPA is held at one replica while it runs, and given its bounds back after.
`;

await runMain(async () => {
  const flags = parseFlags(
    scriptArgv(import.meta.url),
    { overlay: { type: 'string' }, url: { type: 'string' }, levels: { type: 'string' }, seconds: { type: 'string' }, warmup: { type: 'string' }, 'dry-run': { type: 'boolean' }, provider: { type: 'string' } },
    usage,
  );
  if (!flags.overlay) throw new UsageError('--overlay is required: the overlay whose server is measured and whose calibration is written.');
  const levels = (flags.levels ?? '1,2,3,4').split(',').map((l) => numberFlag('levels', l.trim(), { positive: true, what: 'whole number of requests' }));
  if (levels.some((l) => !Number.isInteger(l)) || levels[0] !== 1 || levels.some((l, i) => i > 0 && l <= (levels[i - 1] as number))) {
    throw new UsageError(`--levels must be whole numbers rising from 1, e.g. 1,2,3,4; got "${flags.levels}".`);
  }
  const seconds = numberFlag('seconds', flags.seconds ?? '20', { positive: true, what: 'number of seconds' });
  const warmupSeconds = numberFlag('warmup', flags.warmup ?? '5', { what: 'number of seconds' });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const { objects } = await renderOverlay(sh, flags.overlay);
  const target = calibrationTarget(objects);
  const binary = await findLoadDriver(sh, log);
  const dir = resolve(`reports/${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-calibrate`);
  const run = (baseUrl: string) => calibrate({ binary, request: target.request, baseUrl, levels, warmupSeconds, seconds, sloMs: target.sloMs, dir, log });
  let calibration;
  if (flags.url) {
    calibration = await run(flags.url);
  } else {
    const { kc, provider } = await connect(sh, parseProvider(flags.provider), log);
    const baseUrl = await targetUrl(provider, objects);
    calibration = await withOnePod(kc, { namespace: target.namespace, hpa: target.context.hpa, deployment: target.context.deployment }, log, () => run(baseUrl));
  }
  const text = calibrationYaml(calibration, { ...target.context, overlay: flags.overlay, secondsPerLevel: seconds, date: new Date().toISOString().slice(0, 10) });
  process.stdout.write(await calibrationDiff(flags.overlay, text));
  if (flags['dry-run']) return;
  process.stdout.write(`${await writeCalibration(flags.overlay, text)}\n`);
});
