import { parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { BUNDLE_DIR, bundleInference } from './lib/inference-bundle.ts';

const usage = `
Usage: npx zx scripts/build-inference.ts

Bundles the inference service (inference/src) into ${BUNDLE_DIR}: main.js and worker.js,
dependencies included. The Dockerfile and the embedded cluster's image builder use it.
`;

await runMain(async () => {
  parseFlags(scriptArgv(import.meta.url), {}, usage);
  const files = await bundleInference();
  for (const file of files) process.stdout.write(`${file}\n`);
});
