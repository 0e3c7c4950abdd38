import type {
  V1Container,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { longestRequestMsOf, serviceConfigOf } from '../manifests/service-config.ts';
import { contradictedFacts, FACT_ANNOTATIONS, NEEDS_ROOT_ANNOTATION, SERVER_ANNOTATION, SERVER_SERIES, serverFactsOf, type ServerFacts } from '../manifests/server-facts.ts';
import { sloProblem } from '../manifests/slo.ts';
import { describe, findObject, parseQuantity, selectorMatches, type KObject, type ServiceMonitor } from '../manifests/objects.ts';
import type { Finding } from './findings.ts';
import { kedaHpa, type ScaledObject } from '../manifests/keda.ts';

export interface CrossCheckContext {
  /** Where the objects were rendered from, for the findings. */
  file: string;
  objects: KObject[];
  /** Custom-metric names the adapter rules serve. */
  servedMetrics: Set<string>;
  /** External-metric names its rules.external serve. */
  externalMetrics?: Set<string>;
  /** Custom-metric names that are a pod's average concurrency (rules over the in-flight-seconds counter). */
  concurrencyMetrics: Set<string>;
  rulesFile: string;
}

type Check = (ctx: CrossCheckContext) => { object: KObject; message: string; warning?: boolean }[];

const of = <T>(objects: KObject[], kind: string) => objects.filter((o) => o.kind === kind) as unknown as (T & KObject)[];

const hpaTargetExists: Check = ({ objects }) =>
  of<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').flatMap((hpa) => {
    const ref = hpa.spec?.scaleTargetRef;
    return ref && findObject(objects, ref.kind, ref.name)
      ? []
      : [{ object: hpa, message: `scale target ${ref?.kind}/${ref?.name} is not in this overlay` }];
  });

const hpaMetricsServed: Check = ({ objects, servedMetrics, externalMetrics, rulesFile }) =>
  of<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').flatMap((hpa) =>
    (hpa.spec?.metrics ?? []).flatMap((m) => {
      const external = m.external?.metric.name;
      if (external !== undefined) {
        return (externalMetrics ?? new Set()).has(external) ? [] : [{ object: hpa, message: `External metric "${external}" is produced by no rules.external entry in ${rulesFile}` }];
      }
      const name = m.pods?.metric.name ?? m.object?.metric.name;
      return name && !servedMetrics.has(name)
        ? [{ object: hpa, message: `metric "${name}" is produced by no adapter rule in ${rulesFile}` }]
        : [];
    }),
  );

const hpaReplicaRange: Check = ({ objects }) =>
  of<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').flatMap((hpa) => {
    const min = hpa.spec?.minReplicas ?? 1;
    const max = hpa.spec?.maxReplicas;
    return max !== undefined && min > max ? [{ object: hpa, message: `minReplicas ${min} is above maxReplicas ${max}` }] : [];
  });

const scaleTargetOf = (objects: KObject[], hpa: V2HorizontalPodAutoscaler) => {
  const ref = hpa.spec?.scaleTargetRef;
  return ref ? findObject<V1Deployment & KObject>(objects, ref.kind, ref.name) : undefined;
};

const hpaTargetHasNoReplicas: Check = ({ objects }) =>
  of<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').flatMap((hpa) => {
    const target = scaleTargetOf(objects, hpa);
    return target?.spec?.replicas !== undefined
      ? [{ object: target, message: `sets spec.replicas (${target.spec.replicas}) but ${describe(hpa)} owns the replica count` }]
      : [];
  });


// A pod queues once its concurrency passes its slots: the HPA must add pods before that.
const hpaTargetBelowSlots: Check = ({ objects, concurrencyMetrics }) =>
  of<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').flatMap((hpa) => {
    const target = scaleTargetOf(objects, hpa);
    if (!target || typeof serviceConfigOf(target) === 'string') return [];
    let facts: ServerFacts;
    try {
      facts = serverFactsOf(target);
    } catch {
      return []; // serverFactsDeclared names what is missing
    }
    const slots = facts.source === 'service' ? `the ${facts.slots} INFERENCE_SLOTS` : `the ${facts.slots} sequences (${FACT_ANNOTATIONS.slots})`;
    return (hpa.spec?.metrics ?? []).flatMap((m) => {
      const value = m.pods?.target.averageValue;
      const metric = m.pods?.metric.name;
      if (!metric || !concurrencyMetrics.has(metric) || value === undefined) return [];
      const perPod = parseQuantity(String(value));
      return perPod < facts.slots ? [] : [{ object: hpa, message: `targets ${perPod} ${metric} per pod, not below ${slots} of ${describe(target)}: pods would queue before it scales` }];
    });
  });

// The tools judge a server by its facts and its latency objective: a server other than ours
// declares them on its Deployment (its preset sets its defaults); ours must not contradict them.
const serverFactsDeclared: Check = ({ objects }) =>
  of<V1Deployment>(objects, 'Deployment').flatMap((d) => {
    const problems: string[] = [];
    if (serviceConfigOf(d) === undefined) {
      try {
        serverFactsOf(d);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    problems.push(...contradictedFacts(d));
    const slo = sloProblem(d);
    if (slo) problems.push(slo);
    return problems.map((message) => ({ object: d, message }));
  });

const serviceSettingsValid: Check = ({ objects }) =>
  of<V1Deployment>(objects, 'Deployment').flatMap((d) => {
    const config = serviceConfigOf(d);
    return typeof config === 'string' ? [{ object: d, message: `the service would refuse to start: ${config}` }] : [];
  });

// SIGTERM: readiness off, the drain delay, in-flight requests finish (at worst the longest
// one), then the shutdown timeout; the kubelet's SIGKILL must not come first.
const graceCoversShutdown: Check = ({ objects }) =>
  of<V1Deployment>(objects, 'Deployment').flatMap((d) => {
    const config = serviceConfigOf(d);
    if (!config || typeof config === 'string') return [];
    const grace = d.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
    const longest = longestRequestMsOf(d, config);
    const needed = (config.drainDelayMs + longest + config.shutdownTimeoutMs) / 1000;
    return grace >= needed
      ? []
      : [{ object: d, message: `terminationGracePeriodSeconds ${grace} is below drain ${config.drainDelayMs / 1000} s + longest request ${longest / 1000} s + shutdown ${config.shutdownTimeoutMs / 1000} s = ${needed} s` }];
  });

const podLabels = (objects: KObject[]) =>
  of<V1Deployment>(objects, 'Deployment').map((d) => d.spec?.template.metadata?.labels ?? {});

const selectorsMatchPods: Check = ({ objects }) => {
  const labels = podLabels(objects);
  const services = of<V1Service>(objects, 'Service').map((s) => ({ object: s, selector: s.spec?.selector }));
  const pdbs = of<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget').map((p) => ({ object: p, selector: p.spec?.selector?.matchLabels }));
  return [...services, ...pdbs].flatMap(({ object, selector }) =>
    labels.some((l) => selectorMatches(selector, l))
      ? []
      : [{ object, message: `selector ${JSON.stringify(selector ?? {})} matches no pod template's labels` }],
  );
};

const serviceMonitorPortsExist: Check = ({ objects }) =>
  of<ServiceMonitor>(objects, 'ServiceMonitor').flatMap((sm) => {
    const services = of<V1Service>(objects, 'Service').filter((s) => selectorMatches(sm.spec.selector?.matchLabels, s.metadata.labels));
    if (services.length === 0) return [{ object: sm, message: `selector ${JSON.stringify(sm.spec.selector?.matchLabels ?? {})} matches no Service` }];
    return (sm.spec.endpoints ?? []).flatMap((ep) =>
      services.some((s) => s.spec?.ports?.some((p) => p.name === ep.port))
        ? []
        : [{ object: sm, message: `endpoint port "${ep.port}" is not a named port of ${services.map(describe).join(', ')}` }],
    );
  });

function resolveIntOrPercent(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.replace('%', '')) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

const pdbLeavesRoom: Check = ({ objects }) => {
  const hpas = [...of<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler'), ...scaledObjects(objects).map(kedaHpa)];
  return of<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget').flatMap((pdb) =>
    hpas.flatMap((hpa) => {
      const min = hpa.spec?.minReplicas ?? 1;
      const { minAvailable, maxUnavailable } = pdb.spec ?? {};
      const allowed =
        maxUnavailable !== undefined
          ? resolveIntOrPercent(maxUnavailable, min, true)
          : min - resolveIntOrPercent(minAvailable ?? 0, min, true);
      return allowed >= 1
        ? []
        : [{ object: pdb, message: `allows ${allowed} disruptions at minReplicas ${min} of ${describe(hpa)}: a node drain would block` }];
    }),
  );
};

const containersOf = (objects: KObject[]) =>
  of<V1Deployment>(objects, 'Deployment').flatMap((d) =>
    [...(d.spec?.template.spec?.initContainers ?? []), ...(d.spec?.template.spec?.containers ?? [])].map((c) => ({ d, c })),
  );

const imagesPinned: Check = ({ objects }) =>
  containersOf(objects).flatMap(({ d, c }) => {
    const image = c.image ?? '';
    const tag = image.includes('@') ? 'digest' : /:([^/:]+)$/.exec(image)?.[1];
    if (!tag) return [{ object: d, message: `container "${c.name}" image "${image}" has no tag` }];
    if (tag === 'latest') return [{ object: d, message: `container "${c.name}" image "${image}" uses latest` }];
    return [];
  });

const restrictedSecurityContext: Check = ({ objects }) =>
  of<V1Deployment>(objects, 'Deployment').flatMap((d) => {
    const pod = d.spec?.template.spec;
    const podCtx = pod?.securityContext;
    const problems: string[] = [];
    const warnings: string[] = [];
    // A preset whose published image needs root says why; that is a warning, not an error.
    const needsRoot = d.metadata?.annotations?.[NEEDS_ROOT_ANNOTATION];
    const containers: V1Container[] = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
    for (const c of containers) {
      const ctx = c.securityContext;
      const where = `container "${c.name}"`;
      const root = ctx?.runAsNonRoot !== true && podCtx?.runAsNonRoot !== true;
      if (root && needsRoot) warnings.push(`${where} may run as root: ${needsRoot}`);
      else if (root) problems.push(`${where} may run as root (runAsNonRoot not true)`);
      const seccomp = ctx?.seccompProfile?.type ?? podCtx?.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where} has no RuntimeDefault seccomp profile`);
      if (ctx?.allowPrivilegeEscalation !== false) problems.push(`${where} does not set allowPrivilegeEscalation: false`);
      if (!ctx?.capabilities?.drop?.includes('ALL')) problems.push(`${where} does not drop ALL capabilities`);
      if (ctx?.readOnlyRootFilesystem !== true) problems.push(`${where} does not set readOnlyRootFilesystem: true`);
      if (ctx?.privileged === true) problems.push(`${where} is privileged`);
    }
    return [...problems.map((message) => ({ object: d, message })), ...warnings.map((message) => ({ object: d, message, warning: true }))];
  });

// KEDA: its ScaledObject owns the replicas as an HPA would, and its query reads our series.
const scaledObjects = (objects: KObject[]) => of<ScaledObject>(objects, 'ScaledObject');

const scaledObjectTarget: Check = ({ objects }) =>
  scaledObjects(objects).flatMap((so): { object: KObject; message: string }[] => {
    const ref = so.spec.scaleTargetRef;
    // A scale target is in the ScaledObject's namespace (an overlay may hold several apps).
    const near = objects.filter((o) => o.metadata.namespace === so.metadata.namespace);
    const target = findObject<V1Deployment & KObject>(near, ref.kind ?? 'Deployment', ref.name);
    if (!target) return [{ object: so, message: `scale target ${ref.kind ?? 'Deployment'}/${ref.name} is not in this overlay` }];
    const problems = target.spec?.replicas !== undefined ? [{ object: target, message: `sets spec.replicas (${target.spec.replicas}) but ${describe(so)} owns the replica count` }] : [];
    const rivals = of<V2HorizontalPodAutoscaler>(near, 'HorizontalPodAutoscaler').filter((h) => h.spec?.scaleTargetRef.name === ref.name && (h.spec.scaleTargetRef.kind ?? 'Deployment') === (ref.kind ?? 'Deployment'));
    return [...problems, ...rivals.map((h) => ({ object: h, message: `scales ${ref.name} beside ${describe(so)}, which makes its own HPA for it: the two would fight over the replicas` }))];
  });

const scaledObjectQueryReadsOurSeries: Check = ({ objects }) =>
  scaledObjects(objects).flatMap((so) =>
    so.spec.triggers.flatMap((t, i) => {
      if (t.type !== 'prometheus') return [];
      const query = t.metadata.query ?? '';
      const ns = so.metadata.namespace ?? 'default';
      const problems: string[] = [];
      // The series of the server it scales: its preset's (inferscale.dev/server), else ours.
      const target = findObject<V1Deployment & KObject>(objects.filter((o) => o.metadata.namespace === so.metadata.namespace), so.spec.scaleTargetRef.kind ?? 'Deployment', so.spec.scaleTargetRef.name);
      const server = target?.metadata.annotations?.[SERVER_ANNOTATION];
      const series = (server && SERVER_SERIES[server]) || SERVER_SERIES.inferscale!;
      if (!series.some((s) => query.includes(s))) problems.push(`trigger ${i}'s query reads none of the ${server ?? 'inference service'}'s series (${series.join(', ')}): "${query}"`);
      const namespaces = [...query.matchAll(/namespace="([^"]*)"/g)].map((m) => m[1]);
      if (namespaces.some((n) => n !== ns)) problems.push(`trigger ${i}'s query selects namespace "${namespaces.find((n) => n !== ns)}", not the ScaledObject's "${ns}": it would read another app's pods or none`);
      if (!objects.some((o) => o.kind === 'ServiceMonitor' && (o.metadata.namespace ?? 'default') === ns)) problems.push(`no ServiceMonitor in "${ns}" has Prometheus scrape the series trigger ${i} queries`);
      if (!t.metadata.serverAddress) problems.push(`trigger ${i} has no serverAddress`);
      return problems.map((message) => ({ object: so, message }));
    }),
  );

export const CHECKS: Record<string, Check> = {
  scaledObjectTarget,
  scaledObjectQueryReadsOurSeries,
  hpaTargetExists,
  hpaMetricsServed,
  hpaReplicaRange,
  hpaTargetBelowSlots,
  hpaTargetHasNoReplicas,
  serverFactsDeclared,
  serviceSettingsValid,
  graceCoversShutdown,
  selectorsMatchPods,
  serviceMonitorPortsExist,
  pdbLeavesRoom,
  imagesPinned,
  restrictedSecurityContext,
};

export function crossCheck(ctx: CrossCheckContext): Finding[] {
  return Object.values(CHECKS).flatMap((check) =>
    check(ctx).map(({ object, message, warning }) => ({ phase: 'crosscheck' as const, file: ctx.file, object: describe(object), message, ...(warning ? { warning } : {}) })),
  );
}
