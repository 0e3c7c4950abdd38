import { resolve } from 'node:path';
import { numberFlag, parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { connect } from './lib/cluster/connect.ts';
import { parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { defaultReportDir, LOAD_FLAGS, LOAD_USAGE, profileFromFlags } from './lib/loadtest/options.ts';
import { runLoadTest } from './lib/loadtest/run.ts';
import { readLoadRequestFile } from './lib/loadtest/request.ts';
import { ADAPTER_RELIST_SECONDS } from './lib/cluster/embedded/monitoring.ts';
import { renderOverlay } from './lib/manifests/render.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/loadtest.ts [--overlay <dir>] [--provider ${PROVIDERS.join('|')}] [--relist <s>] [load flags]

Runs a load profile (the load driver, on vegeta: an open model) against the overlay's Service while watching the HPA, the Deployment
and the pods, then checks the replica timeline against bounds computed from the rendered
HPA and the metric pipeline, and writes a report (timeline.json, summary.md, chart.svg).
Exits 1 when an assertion fails.

  --overlay <dir>        the overlay that is deployed (default overlays/local)
  --provider <name>      the cluster (default: the embedded cluster if it runs, else the current context)
  --relist <s>           the adapter's relist interval (default: the embedded cluster's ${ADAPTER_RELIST_SECONDS} s, else the chart values')${LOAD_USAGE}
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { ...LOAD_FLAGS, overlay: { type: 'string' }, provider: { type: 'string' }, relist: { type: 'string' } }, usage);
  const profile = profileFromFlags(flags);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const overlay = flags.overlay ?? 'overlays/local';
  const { kc, provider } = await connect(sh, parseProvider(flags.provider), log);
  const { objects } = await renderOverlay(sh, overlay);
  const reportDir = resolve(flags['report-dir'] ?? defaultReportDir(profile));
  const { files, report } = await runLoadTest({
    $: sh,
    kc,
    provider,
    objects,
    overlay,
    profile,
    reportDir,
    targetUrl: flags['target-url'],
    request: flags.request !== undefined ? await readLoadRequestFile(flags.request) : undefined,
    gatePrediction: flags['gate-prediction'],
    relistSeconds: flags.relist !== undefined ? numberFlag('relist', flags.relist, { positive: true, what: 'number of seconds' }) : undefined,
    log,
  });
  process.stdout.write(`${files.md}\n${files.svg}\n${files.json}\n`);
  return report.results.every((r) => r.ok) ? 0 : 1;
});
