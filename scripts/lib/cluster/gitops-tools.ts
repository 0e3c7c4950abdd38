import { UsageError } from '../cli.ts';
import type { OptionalBuild } from './embedded/toolchain.ts';

/** The GitOps controllers inferscale can deploy through. */
export const GITOPS_TOOLS = ['flux', 'argocd'] as const;
export type GitOpsTool = (typeof GITOPS_TOOLS)[number];

/** What each controller needs built (toolchain.ts's optional components). */
export const GITOPS_BUILDS: Record<GitOpsTool, OptionalBuild[]> = { flux: ['flux'], argocd: ['argocd', 'kustomize'] };

export function parseGitOps(value: string | undefined): GitOpsTool | undefined {
  if (value === undefined) return undefined;
  if ((GITOPS_TOOLS as readonly string[]).includes(value)) return value as GitOpsTool;
  throw new UsageError(`--gitops must be ${GITOPS_TOOLS.join(' or ')}, got "${value}".`);
}
