import { parseFlags, runMain } from './lib/cli.ts';
import { defaultProvider, makeProvider, parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx tsx scripts/bootstrap.ts [--provider ${PROVIDERS.join('|')}]

Creates (or connects to) a cluster and makes the inference image available to it.

  --provider local     the embedded cluster: a real single-node Kubernetes built from
                       upstream sources and run on this machine (needs root on Linux)
  --provider minikube  minikube start -n 2 --memory 4400, as in the original walkthrough
  --provider existing  the current kube context; never creates or deletes a cluster

Without --provider: existing if the current context answers, else minikube if installed,
else local. Running it again while the cluster runs says so and succeeds.
`;

await runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), { provider: { type: 'string' } }, usage);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const name = parseProvider(flags.provider) ?? (await defaultProvider(sh));
  const provider = makeProvider(name, sh, log);
  const info = await provider.create();
  await provider.loadImage();
  process.stdout.write(`${info.kubeconfig}\n`);
});
