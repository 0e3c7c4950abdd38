// One interface for every place inferscale can run: the embedded cluster, minikube, or the
// current kube context.

export type ProviderName = 'local' | 'minikube' | 'existing';

export interface ClusterInfo {
  /** The kubeconfig file the scripts and the user should use. */
  kubeconfig: string;
  /** True when create() found the cluster already running. */
  alreadyRunning: boolean;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  /** Create the cluster, or connect to it; safe to call when it already runs. */
  create(): Promise<ClusterInfo>;
  /** Make the inference image available to the cluster's nodes. */
  loadImage(): Promise<void>;
  /** Install the metrics pipeline (Prometheus, prometheus-adapter). */
  installMonitoring(): Promise<void>;
  /** Stop and remove what create() made; safe to call twice. */
  teardown(): Promise<{ wasRunning: boolean }>;
}
