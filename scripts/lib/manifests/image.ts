import { readFile, writeFile } from 'node:fs/promises';
import { isMap, isSeq, parseDocument } from 'yaml';
import { UserError } from '../cli.ts';

/** The inference image as base/app names it; overlays/local never pulls it. */
export const INFERENCE_IMAGE = 'inferscale/inference:0.1.0';
/** The inference service with the llama engine, its runtime and the model (SmolLM2-135M) inside. */
export const LLAMA_IMAGE = 'inferscale/inference-llama:0.1.0';

// Which image an overlay deploys: its kustomization's `images:` entry for the inference
// image, edited in place (comments and order kept) so that a release is one command.

const IMAGE_NAME = INFERENCE_IMAGE.split(':')[0] as string;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const NAME = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;

/** Why a tag is not one, in a sentence; undefined when it is. */
export const checkImageTag = (tag: string): string | undefined =>
  TAG.test(tag) ? undefined : `"${tag}" is not an image tag (letters, digits, _ . -; at most 128, not starting with . or -).`;

/** Why a name is not an image name (registry and path, no tag), in a sentence; undefined when it is. */
export const checkImageName = (name: string): string | undefined =>
  NAME.test(name) ? undefined : `"${name}" is not an image name such as ghcr.io/<owner>/inference.`;

/** Sets the inference image's tag (and, if given, its name) in a kustomization file. */
export async function setOverlayImage(kustomization: string, tag: string, name?: string): Promise<{ from: string; to: string }> {
  const problem = checkImageTag(tag) ?? (name === undefined ? undefined : checkImageName(name));
  if (problem) throw new UserError(problem);
  const text = await readFile(kustomization, 'utf8').catch(() => {
    throw new UserError(`cannot read ${kustomization}.`);
  });
  const doc = parseDocument(text);
  const images = doc.get('images');
  const entry = isSeq(images) ? images.items.find((i) => isMap(i) && i.get('name') === IMAGE_NAME) : undefined;
  if (!isMap(entry)) throw new UserError(`${kustomization} has no images: entry named ${IMAGE_NAME}; add one with newName and newTag.`);
  const from = `${String(entry.get('newName') ?? IMAGE_NAME)}:${String(entry.get('newTag') ?? '')}`;
  if (name !== undefined) entry.set('newName', name);
  entry.set('newTag', tag);
  await writeFile(kustomization, doc.toString());
  return { from, to: `${String(entry.get('newName') ?? IMAGE_NAME)}:${tag}` };
}
