import { join } from 'node:path';
import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { setSourceImage, SOURCE_FILE } from './lib/gitops/source.ts';
import { setOverlayImage } from './lib/manifests/image.ts';
import { repoPath } from './lib/paths.ts';

const usage = `
Usage: npx zx scripts/set-image.ts --tag <version> [--image <name>] [--overlay <dir>]

Points the cloud at a released inference image: writes the tag (and the name) into
${SOURCE_FILE}, whose image overlays/cloud deploys (through Flux, Argo CD or reconcile.ts),
keeping its comments. The release workflow (.github/workflows/release.yml) pushes
ghcr.io/<owner>/inference:<version> on a tag v<version>.

  --tag <version>    the image tag, e.g. 0.2.0
  --image <name>     the image name, e.g. ghcr.io/<owner>/inference (default: unchanged)
  --overlay <dir>    write an overlay's own images: entry instead (e.g. overlays/local-llm)
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { tag: { type: 'string' }, image: { type: 'string' }, overlay: { type: 'string' } }, usage);
  if (!flags.tag) throw new UsageError('--tag is needed, e.g. --tag 0.2.0.');
  const { from, to } = flags.overlay
    ? await setOverlayImage(join(repoPath(flags.overlay), 'kustomization.yaml'), flags.tag, flags.image)
    : await setSourceImage(repoPath(SOURCE_FILE), flags.tag, flags.image);
  process.stdout.write(`${flags.overlay ?? SOURCE_FILE}: ${from} -> ${to}\n`);
});
