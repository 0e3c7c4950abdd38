// Every version the embedded cluster uses, in one place. Binaries are cached in folders
// keyed by these, so changing one rebuilds exactly that component.

export const KUBERNETES_VERSION = 'v1.37.2';
/** Used only when the Go module proxy does not serve KUBERNETES_VERSION; bootstrap says so. */
export const KUBERNETES_FALLBACK_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.16';
export const PROMETHEUS_ADAPTER_VERSION = 'v0.12.0';
/** The resource metrics API (kubectl top, the HPA's CPU utilization); v0.8.0 builds with go install, v0.9.0 was not tried. */
export const METRICS_SERVER_VERSION = 'v0.8.0';
/** Prometheus 3.16 (its Go module is versioned v0.316.x). Debian's build lacks Kubernetes discovery. */
export const PROMETHEUS_VERSION = 'v0.316.0';
/**
 * Flux's source- and kustomize-controller, built from their Go modules. v1.10.x needs
 * github.com/fluxcd/pkg versions the module proxy refuses; v1.9.6 of both resolves.
 */
export const FLUX_SOURCE_CONTROLLER_VERSION = 'v1.9.6';
export const FLUX_KUSTOMIZE_CONTROLLER_VERSION = 'v1.9.6';
/** Argo CD's application-controller and repo-server (one multi-call binary). */
export const ARGOCD_VERSION = 'v3.6.1';
/** KEDA's operator and its metrics API server (v2.21.0 builds with Go 1.27; v2.20.2 is the other release served). */
export const KEDA_VERSION = 'v2.21.0';
/** The Gateway API's CRDs, whose schema validates components/gateway-httproute (v1.7.0 needs Go 1.27). */
export const GATEWAY_API_VERSION = 'v1.6.3';
/** For modules whose go.mod needs Go 1.27 (Argo CD, kustomize): fetched through the proxy. */
export const GO_127_TOOLCHAIN = 'go1.27.3';
/** The kustomize binary Argo CD's repo-server runs (v5.8.3 needs a kube-openapi the proxy refuses). */
export const KUSTOMIZE_VERSION = 'v5.8.1';
/**
 * Helm, for the test that bootstrap --provider existing refuses a release it did not install
 * (not a cluster component; v4 is the line the module proxy's list says to prefer).
 */
export const HELM_VERSION = 'v4.3.2';
/** The GitHub workflows' linter, built from the Go module proxy for the tests (not a cluster component). */
export const ACTIONLINT_VERSION = 'v1.7.12';

/** The sandbox image name containerd is configured with; our own static pause program. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

/** Debian packages the embedded cluster needs, with the command each provides. */
export const DEBIAN_PACKAGES: Record<string, string> = {
  containerd: 'containerd',
  runc: 'runc',
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  iptables: 'iptables',
  conntrack: 'conntrack',
  socat: 'socat',
  iproute2: 'ip',
  openssl: 'openssl',
  gcc: 'gcc',
  'libc6-dev': '/usr/lib/x86_64-linux-gnu/libc.a',
};

/** Debian packages only a GitOps layer needs, installed when it is brought up. */
export const ARGOCD_DEBIAN_PACKAGES: Record<string, string> = { 'redis-server': 'redis-server' };

/** Kubernetes' staging modules: the wrapper module replaces each with its published v0.x. */
export const KUBERNETES_STAGING = [
  'api', 'apiextensions-apiserver', 'apimachinery', 'apiserver', 'cli-runtime', 'client-go',
  'cloud-provider', 'cluster-bootstrap', 'code-generator', 'component-base', 'component-helpers',
  'controller-manager', 'cri-api', 'cri-client', 'cri-streaming', 'csi-translation-lib',
  'dynamic-resource-allocation', 'endpointslice', 'externaljwt', 'kms', 'kube-aggregator',
  'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubectl', 'kubelet', 'metrics',
  'mount-utils', 'pod-security-admission', 'sample-apiserver', 'sample-cli-plugin',
  'sample-controller', 'streaming',
];

export const KUBERNETES_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'];
