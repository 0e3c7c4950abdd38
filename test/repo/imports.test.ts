import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../scripts/lib/paths.ts';

// scripts/lib's folders import one way: no folder imports, directly or through others, from
// a folder that imports it. A module at scripts/lib's top level counts as a folder of its own.

/** The folder of scripts/lib a module belongs to. */
function unitOf(lib: string, file: string): string {
  const parts = relative(lib, file).split(sep);
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] as string);
}

async function modules(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** Every import from one folder of `lib` to another, with the module and specifier that make it. */
async function folderGraph(lib: string): Promise<Map<string, Map<string, string>>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of await modules(lib)) {
    const from = unitOf(lib, file);
    const { importedFiles } = ts.preProcessFile(await readFile(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName);
      if (!target.startsWith(lib + sep)) continue;
      const to = unitOf(lib, target);
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${relative(lib, file)} imports ${fileName}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** The first cycle in the graph, as the imports that close it; none when the folders import one way. */
function firstCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        return loop.slice(1).map((to, i) => graph.get(loop[i] as string)?.get(to) as string);
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

const test = suite('the folders of scripts/lib');

test('import one way: no folder imports from a folder that imports it, directly or through others', async () => {
  const graph = await folderGraph(join(REPO_ROOT, 'scripts/lib'));
  assert.ok(graph.size > 10, `read the imports of ${graph.size} folders`);
  const cycle = firstCycle(graph);
  assert.is(cycle, undefined, `a cycle: ${cycle?.join(', then ')}`);
});

test('the check finds a cycle through a third folder and names its imports', async () => {
  const lib = await mkdtemp(join(tmpdir(), 'inferscale-imports-'));
  try {
    for (const dir of ['a', 'b', 'c']) await mkdir(join(lib, dir));
    await writeFile(join(lib, 'a/one.ts'), "import { two } from '../b/two.ts';\nexport const one = two;\n");
    await writeFile(join(lib, 'b/two.ts'), "export { three as two } from '../c/three.ts';\n");
    await writeFile(join(lib, 'c/three.ts'), "export const three = 3;\nexport const load = () => import('../a/one.ts');\n");
    await writeFile(join(lib, 'top.ts'), "import { one } from './a/one.ts';\nexport const top = one;\n");
    assert.equal(firstCycle(await folderGraph(lib)), ['a/one.ts imports ../b/two.ts', 'b/two.ts imports ../c/three.ts', 'c/three.ts imports ../a/one.ts']);
    await writeFile(join(lib, 'c/three.ts'), 'export const three = 3;\n');
    assert.is(firstCycle(await folderGraph(lib)), undefined);
  } finally {
    await rm(lib, { recursive: true, force: true });
  }
});

test.run();
