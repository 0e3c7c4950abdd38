import { relative, resolve } from 'node:path';
import { parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { ADAPTER_RULES_FILE, REPO_ROOT, repoPath, VALIDATED_OVERLAYS } from './lib/paths.ts';
import { sh } from './lib/shell.ts';
import { validate } from './lib/validate/run.ts';

const usage = `
Usage: npx zx scripts/validate.ts [--overlay <dir>]... [--rules <file>]

Checks the manifests in phases: parse every YAML file (with --overlay, the files those
overlays build from), build every overlay with
kubectl kustomize (warnings count as errors), schema-check every rendered object,
then cross-check each overlay (HPA target and metrics, replicas, selectors, ports,
PDB room, pinned images, restricted security context). Exits 1 on any error.

  --overlay <dir>  an overlay to check (repeatable; default: ${VALIDATED_OVERLAYS.join(', ')})
  --rules <file>   the adapter rules file (default: ${ADAPTER_RULES_FILE})
  -h, --help       show this help
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { overlay: { type: 'string', multiple: true }, rules: { type: 'string' } }, usage);
  // With --overlay, only the files those overlays build from are parsed.
  const { errors } = await validate({
    root: REPO_ROOT,
    overlays: flags.overlay?.map((dir) => relative(REPO_ROOT, resolve(dir))) ?? VALIDATED_OVERLAYS,
    scanDirs: flags.overlay ? [] : ['base', 'components', 'overlays', 'policies', 'gitops'],
    rulesFile: flags.rules ? resolve(flags.rules) : repoPath(ADAPTER_RULES_FILE),
    $: sh,
  });
  return errors.length === 0 ? 0 : 1;
});
