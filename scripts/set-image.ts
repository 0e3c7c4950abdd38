import { join } from 'node:path';
import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { setOverlayImage } from './lib/manifests/image.ts';
import { repoPath } from './lib/paths.ts';

const usage = `
Usage: npx zx scripts/set-image.ts --tag <version> [--image <name>] [--overlay <dir>]

Points an overlay at a released inference image: writes the tag (and the name) into the
overlay's kustomization (images:), keeping its comments. The release workflow
(.github/workflows/release.yml) pushes ghcr.io/<owner>/inference:<version> on a tag v<version>.

  --tag <version>    the image tag, e.g. 0.2.0
  --image <name>     the image name, e.g. ghcr.io/<owner>/inference (default: unchanged)
  --overlay <dir>    default overlays/cloud
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { tag: { type: 'string' }, image: { type: 'string' }, overlay: { type: 'string' } }, usage);
  if (!flags.tag) throw new UsageError('--tag is needed, e.g. --tag 0.2.0.');
  const { from, to } = await setOverlayImage(join(repoPath(flags.overlay ?? 'overlays/cloud'), 'kustomization.yaml'), flags.tag, flags.image);
  process.stdout.write(`${flags.overlay ?? 'overlays/cloud'}: ${from} -> ${to}\n`);
});
