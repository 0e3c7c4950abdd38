// npm run bench:scrape-offsets [-- <timeline.json> ...]: how far apart Prometheus scraped a
// real run's pods, fitted to the metric its recorder read (scripts/lib/loadtest/scrape-fit.ts);
// default: the committed runs of test/fixtures/runs. Prints figures; asserts nothing.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { profileFromFlags } from '../scripts/lib/loadtest/options.ts';
import type { RunReport } from '../scripts/lib/loadtest/report.ts';
import { repoPath } from '../scripts/lib/paths.ts';
import { fitScrapeOffsets } from '../scripts/lib/loadtest/scrape-fit.ts';

const dir = repoPath('test/fixtures/runs');
const files = process.argv.slice(2).length ? process.argv.slice(2) : (await readdir(dir)).filter((f) => f.endsWith('.timeline.json')).sort().map((f) => join(dir, f));
for (const file of files) {
  const report = JSON.parse(await readFile(file, 'utf8')) as RunReport;
  const fitted = fitScrapeOffsets(report, profileFromFlags({ profile: report.record.profile }));
  if ('none' in fitted) {
    console.log(`${report.record.profile.padEnd(9)} no fit: ${fitted.none}`);
    continue;
  }
  const { best, together, seconds } = fitted;
  const s = (x: number) => x.toFixed(1);
  console.log(
    `${report.record.profile.padEnd(9)} ${seconds} s before the first change: pods scraped at ${best.offsets.map(s).join(', ')} s, delay ${s(best.delay)} s, rms ${best.rms.toFixed(3)}; all at once (${s(together.offsets[0] ?? 0)} s, delay ${s(together.delay)} s): rms ${together.rms.toFixed(3)}`,
  );
}
