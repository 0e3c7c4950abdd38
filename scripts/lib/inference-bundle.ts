import { build } from 'esbuild';
import { repoPath } from './paths.ts';

export const BUNDLE_DIR = repoPath('dist/inference');

/**
 * Bundles the inference service into dist/inference/{main,worker}.js: one ESM file each, its
 * dependencies included, so an image needs only the node binary and these files.
 */
export async function bundleInference(outdir = BUNDLE_DIR): Promise<string[]> {
  const result = await build({
    entryPoints: { main: repoPath('inference/src/main.ts'), worker: repoPath('inference/src/worker.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node26',
    minify: false,
    legalComments: 'none',
    metafile: true,
    // The llama engine's runtime has a native addon: it stays a package beside the bundle
    // (node_modules/), imported only when INFERENCE_ENGINE=llama.
    external: ['node-llama-cpp'],
    logLevel: 'silent',
    // prom-client is CommonJS and calls require() for node builtins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return Object.keys(result.metafile.outputs);
}
