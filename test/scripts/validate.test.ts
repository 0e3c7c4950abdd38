import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FACT_ANNOTATIONS } from '../../scripts/lib/manifests/server-facts.ts';
import { ADAPTER_RULES_FILE, OVERLAYS, REPO_ROOT, repoPath, SERVER_PRESETS, VALIDATED_OVERLAYS } from '../../scripts/lib/paths.ts';
import { sh } from '../../scripts/lib/shell.ts';
import { validate } from '../../scripts/lib/validate/run.ts';
import { overlaySources } from '../../scripts/lib/validate/sources.ts';
import { renderOverlay } from '../../scripts/lib/manifests/render.ts';
import { runScript } from '../helpers/cli.ts';
import { countingShell } from '../helpers/counting-shell.ts';

async function errorsOf(overlay: string): Promise<string[]> {
  const lines: string[] = [];
  const { errors } = await validate({
    root: REPO_ROOT,
    overlays: [overlay],
    scanDirs: [],
    rulesFile: repoPath(ADAPTER_RULES_FILE),
    $: sh,
    write: (l) => lines.push(l),
  });
  assert.is(errors.length, lines.filter((l) => l.startsWith('ERROR')).length, 'every error is printed');
  return lines.filter((l) => l.startsWith('ERROR'));
}

const cli = suite('scripts/validate.ts');

const checks = suite('validate');

checks('renders an overlay the caller has not rendered, and takes the one it has as given', async () => {
  const run = async (rendered?: Map<string, Awaited<ReturnType<typeof renderOverlay>>>) => {
    const commands: string[] = [];
    const { errors, rendered: out } = await validate({ root: REPO_ROOT, overlays: ['overlays/local'], scanDirs: [], rulesFile: repoPath(ADAPTER_RULES_FILE), ...(rendered ? { rendered } : {}), $: countingShell(commands), write: () => {} });
    assert.equal(errors, []);
    return { renders: commands.filter((c) => c.startsWith('kubectl kustomize')).length, objects: out.get('overlays/local')?.length };
  };
  const own = await run();
  assert.is(own.renders, 1);
  const given = await renderOverlay(sh, repoPath('overlays/local'));
  assert.equal(await run(new Map([['overlays/local', given]])), { renders: 0, objects: given.objects.length });
});

checks.run();

cli('reports 0 errors for every overlay and exits 0', async () => {
  const { code, stdout } = await runScript('scripts/validate.ts', []);
  assert.is(code, 0, stdout);
  for (const phase of ['parse', 'build', 'schema', 'crosscheck']) assert.match(stdout, new RegExp(`INFO  \\[${phase}\\].*: ok`));
  assert.match(stdout, new RegExp(`validate: 0 error\\(s\\) in \\d+ files and ${VALIDATED_OVERLAYS.length} overlays`));
});

cli('exits 1 and names the file, object and reason for a broken overlay', async () => {
  const { code, stdout } = await runScript('scripts/validate.ts', ['--overlay', 'test/fixtures/overlays/deployment-replicas']);
  assert.is(code, 1);
  assert.match(stdout, 'ERROR [crosscheck] test/fixtures/overlays/deployment-replicas Deployment/inference: sets spec.replicas (3)');
  assert.match(stdout, 'validate: 1 error(s)');
});

cli('refuses an unknown flag with one sentence and exit code 2', async () => {
  const { code, stderr } = await runScript('scripts/validate.ts', ['--overlays', 'x']);
  assert.is(code, 2);
  assert.is(stderr.trim(), "error: Unknown option '--overlays'. Run with --help for usage.");
});

cli('with --overlay parses only the files that overlay builds from', async () => {
  const sources = await overlaySources(REPO_ROOT, 'overlays/local');
  assert.ok(sources.includes('base/app/hpa.yaml') && sources.includes('overlays/local/kustomization.yaml'), sources.join(' '));
  assert.not.ok(sources.some((f) => f.startsWith('overlays/minikube/') || f.startsWith('overlays/cloud/') || f.startsWith('gitops/')), sources.join(' '));
  const { code, stdout } = await runScript('scripts/validate.ts', ['--overlay', 'overlays/local']);
  assert.is(code, 0, stdout);
  assert.match(stdout, `INFO  [parse] ${sources.length} YAML files: ok`);
});

cli('prints a YAML error once, whole, and does not build the overlay it breaks', async () => {
  const { code, stdout } = await runScript('scripts/validate.ts', ['--overlay', 'test/fixtures/overlays/yaml-syntax']);
  assert.is(code, 1);
  assert.is(stdout.split('\n').filter((l) => l.startsWith('ERROR')).length, 1, stdout);
  assert.match(stdout, 'INFO  [build] test/fixtures/overlays/yaml-syntax: not built: test/fixtures/overlays/yaml-syntax/patch.yaml does not parse (above)');
});

cli('finds a file copied into two overlays and names both', async () => {
  const root = await mkdtemp(join(tmpdir(), 'validate-'));
  for (const dir of ['base', 'components', 'gitops', 'overlays']) await cp(repoPath(dir), join(root, dir), { recursive: true });
  const copy = await readFile(repoPath('components/e2e/hpa-patch.yaml'), 'utf8');
  for (const o of ['local', 'minikube']) await writeFile(join(root, 'overlays', o, 'hpa-copy.yaml'), copy);
  const lines: string[] = [];
  const { errors } = await validate({ root, overlays: OVERLAYS, scanDirs: ['overlays'], rulesFile: repoPath(ADAPTER_RULES_FILE), $: sh, write: (l) => lines.push(l) });
  assert.equal(errors.map((e) => `${e.file}: ${e.message}`), ['overlays/local/hpa-copy.yaml, overlays/minikube/hpa-copy.yaml: the same file in several overlays; put it in a Component under components/ and use it from each']);
});

cli('prints its usage with --help', async () => {
  const { code, stdout } = await runScript('scripts/validate.ts', ['--help']);
  assert.is(code, 0);
  assert.match(stdout, /^Usage: npx zx scripts\/validate\.ts/);
});

cli.run();

const broken = suite('each validation check fails its own broken fixture');

const CASES: [string, RegExp][] = [
  ['build-fails', /\[build\] .*build-fails: does not build: .*missing\.yaml/],
  ['deprecated', /\[build\] .*deprecated: kustomize warned: .*'commonLabels' is deprecated/],
  ['schema-invalid', /\[schema\] .*schema-invalid Service\/inference: spec\/type must be equal to one of the allowed values/],
  ['hpa-target-missing', /HorizontalPodAutoscaler\/inference: scale target Deployment\/inference-gpu is not in this overlay/],
  ['hpa-metric-unserved', /HorizontalPodAutoscaler\/inference: metric "inference_latency_p95" is produced by no adapter rule in base\/monitoring\/adapter-rules\.yaml/],
  ['deployment-replicas', /Deployment\/inference: sets spec\.replicas \(3\) but HorizontalPodAutoscaler\/inference owns the replica count/],
  ['service-selector', /Service\/inference: selector .* matches no pod template's labels/],
  ['pdb-selector', /PodDisruptionBudget\/inference: selector .* matches no pod template's labels/],
  ['servicemonitor-port', /ServiceMonitor\/inference: endpoint port "web" is not a named port of Service\/inference/],
  ['pdb-no-room', /PodDisruptionBudget\/inference: allows 0 disruptions at minReplicas 2/],
  ['image-latest', /Deployment\/inference: container "inference" image "inferscale\/inference:latest" uses latest/],
  ['image-untagged', /Deployment\/inference: container "inference" image "registry\.example\.com\/inference" has no tag/],
  ['yaml-syntax', /^ERROR \[parse\] test\/fixtures\/overlays\/yaml-syntax\/patch\.yaml: All mapping items must start at the same column at line 5, column 1:\n\n {2}name: inference\n spec:\n\^$/],
  ['patch-unparsable', /\[build\] .*patch-unparsable: does not build: trouble configuring builtin PatchTransformer with config: `\npatch: \|-\n {2}kind: HorizontalPodAutoscaler\n(.*\n)+`: unable to parse SM or JSON patch/],
  ['hpa-min-above-max', /HorizontalPodAutoscaler\/inference: minReplicas 5 is above maxReplicas 3$/],
  ['hpa-target-above-slots', /HorizontalPodAutoscaler\/inference: targets 4 inference_concurrency per pod, not below the 4 INFERENCE_SLOTS of Deployment\/inference/],
  ['grace-too-short', /Deployment\/inference: terminationGracePeriodSeconds 10 is below drain 5 s \+ longest request 1 s \+ shutdown 10 s = 16 s$/],
  ['service-setting-invalid', /Deployment\/inference: the service would refuse to start: INFERENCE_SLOTS must be a whole number, got "many"\.$/],
  ['security-context', /Deployment\/inference: container "inference" does not set allowPrivilegeEscalation: false/],
  ['server-facts-contradicted', /Deployment\/inference: annotation inferscale\.dev\/max-sequences says 256 where the service's INFERENCE_SLOTS is 4$/],
  ['preset-target-above-sequences', /HorizontalPodAutoscaler\/inference: targets 300 vllm_requests_in_flight per pod, not below the 256 sequences \(inferscale\.dev\/max-sequences\) of Deployment\/inference: pods would queue before it scales$/],
  ['slo-missing', /Deployment\/inference: annotation inferscale\.dev\/latency-slo-ms \(the latency objective, ms\) is missing$/],
];

for (const [fixture, expected] of CASES) {
  broken(`${fixture} fails with exactly its own message`, async () => {
    const errors = await errorsOf(`test/fixtures/overlays/${fixture}`);
    assert.is(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] ?? '', expected);
  });
}

broken.run();

const presets = suite("each server preset's capacity facts");

presets('a preset without one of its facts fails validation with a sentence naming the annotation', async () => {
  for (const server of SERVER_PRESETS) {
    for (const annotation of Object.values(FACT_ANNOTATIONS)) {
      const dir = await mkdtemp(join(REPO_ROOT, 'test/fixtures/.tmp-preset-'));
      try {
        const up = '../../..';
        await writeFile(
          join(dir, 'kustomization.yaml'),
          `resources: [${up}/base/app]\ncomponents: [${up}/components/servers/${server}, ${up}/components/servers/${server}/server]\npatches:\n  - target: { kind: Deployment, name: inference }\n    patch: |-\n      - op: remove\n        path: /metadata/annotations/${annotation.replace('/', '~1')}\n`,
        );
        const errors = await errorsOf(relative(REPO_ROOT, dir));
        assert.is(errors.length, 1, `${server} without ${annotation}: ${errors.join('\n')}`);
        assert.match(errors[0] ?? '', `Deployment/inference runs no inferscale service (no INFERENCE_* variables) and has no annotation ${annotation} (`);
        assert.match(errors[0] ?? '', `components/servers/${server}/server sets it`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
});

presets.run();
