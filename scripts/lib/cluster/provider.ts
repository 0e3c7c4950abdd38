import type { GitOpsTool } from './gitops-tools.ts';
import type { KObject } from '../manifests/objects.ts';

// One interface for every place inferscale can run: the embedded cluster, minikube, or the
// current kube context.

export type ProviderName = 'local' | 'minikube' | 'existing';

export interface ClusterInfo {
  /** The kubeconfig file the scripts and the user should use. */
  kubeconfig: string;
  /** True when create() found the cluster already running. */
  alreadyRunning: boolean;
}

/** The Git repository served to the GitOps controllers, on this machine. */
export interface ServedRepository {
  /** The bare repository on disk: commits pushed here are what Flux fetches. */
  repo: string;
  /** Where the controllers fetch it: the URL written into the GitOps objects' source. */
  url: string;
  branch: string;
  /** The working tree's HEAD, which the served branch starts at. */
  commit: string;
  /** True when the working tree had uncommitted changes, which are not served. */
  dirty: boolean;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  /** The overlay this provider deploys when none is named. */
  readonly defaultOverlay: string;
  /** The address a NodePort answers on from this machine; undefined when there is none to reach. */
  nodeAddress(): Promise<string | undefined>;
  /** The adapter's relist interval, seconds: how long a new pod's series takes to be served. */
  relistSeconds(): Promise<number>;
  /** Where this machine reaches the Prometheus that scrapes the pods, for the model server's own figures in a report; undefined where it cannot. */
  prometheusUrl?(): string | undefined;
  /** Create the cluster, or connect to it; safe to call when it already runs. */
  create(): Promise<ClusterInfo>;
  /** Make the images of ours an overlay runs (`images`, from its rendered workloads) available to the cluster's nodes. */
  loadImage(images: string[]): Promise<void>;
  /**
   * Install the metrics pipeline (Prometheus, prometheus-adapter). `objects` is the rendered
   * overlay: the embedded cluster configures its host Prometheus from its ServiceMonitors.
   */
  installMonitoring(objects: KObject[]): Promise<void>;
  /**
   * Objects of the overlay this provider handles itself instead of applying them, with the
   * reason (the embedded cluster reads ServiceMonitors into its host Prometheus).
   */
  handles?(obj: KObject): string | undefined;
  /**
   * Before an overlay is applied: start the server of its metric plane if it is not running
   * (the embedded cluster's KEDA, for an overlay with a ScaledObject). Elsewhere the user
   * installs KEDA.
   */
  ensureMetricPlane?(objects: KObject[]): Promise<void>;
  /** Bring provider-side configuration in line with the overlay; starts nothing. */
  syncMonitoring?(objects: KObject[]): Promise<void>;
  /**
   * The folder of gitops/ whose objects inferscale applies on this provider, per GitOps
   * controller; none when the user applies them (a cloud cluster points them at their fork).
   */
  readonly gitopsEntryPoints?: Partial<Record<GitOpsTool, string>>;
  /**
   * Builds and starts a GitOps controller and serves this working tree's HEAD to it (the
   * embedded cluster); elsewhere the controller is the user's to install.
   */
  startGitOps?(tool: GitOpsTool): Promise<ServedRepository>;
  /** Ctrl-C: stop starting things; the step under way fails with InterruptedError. */
  interrupt?(): void;
  /** Stop and remove what create() made; safe to call twice. */
  teardown(): Promise<{ wasRunning: boolean }>;
}
