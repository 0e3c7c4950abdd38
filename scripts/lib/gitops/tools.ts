import { UsageError } from '../cli.ts';

/** The GitOps controllers inferscale can deploy through (Argo CD: see README, GitOps). */
export const GITOPS_TOOLS = ['flux'] as const;
export type GitOpsTool = (typeof GITOPS_TOOLS)[number];

export function parseGitOps(value: string | undefined): GitOpsTool | undefined {
  if (value === undefined) return undefined;
  if ((GITOPS_TOOLS as readonly string[]).includes(value)) return value as GitOpsTool;
  throw new UsageError(`--gitops must be ${GITOPS_TOOLS.join(' or ')}, got "${value}".`);
}
