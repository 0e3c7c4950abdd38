import { stringify } from 'yaml';
import { pkiFile } from './pki.ts';
import { BRIDGE, CNI_NETWORK, NODE_NAME, POD_CIDR, PORTS } from './network.ts';
import type { ClusterPaths } from './paths.ts';
import { PAUSE_IMAGE } from '../versions.ts';
import { join } from 'node:path';

// The configuration files of the embedded cluster's daemons, as text.

export function containerdConfig(p: ClusterPaths): string {
  return `version = 2
root = "${p.containerdRoot}"
state = "${p.containerdState}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${p.containerdSocket}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # This machine's capability set cannot lower oom_score_adj; without this every sandbox fails.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${p.cniConf}"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
`;
}

export function cniConflist(p: ClusterPaths): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: CNI_NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: p.cniData },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(p: ClusterPaths): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // 1.35+ refuse cgroup v1 unless told otherwise; this machine has only v1.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    failSwapOn: false,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: pkiFile(p.pki, 'client-ca', 'crt') },
    },
    authorization: { mode: 'Webhook' },
    rotateCertificates: false,
    tlsCertFile: pkiFile(p.pki, 'kubelet-serving', 'crt'),
    tlsPrivateKeyFile: pkiFile(p.pki, 'kubelet-serving', 'key'),
    // No DNS addon offline: pods use the host's resolver.
    resolvConf: '/etc/resolv.conf',
    healthzBindAddress: '127.0.0.1',
    healthzPort: PORTS.kubeletHealthz,
    podLogsDir: join(p.state, 'pod-logs'),
    // A nearly full disk elsewhere on the machine must not evict our pods or images.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    podCIDR: POD_CIDR,
    maxPods: 60,
  });
}

export function kubeProxyConfig(p: ClusterPaths, nodeIP: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig: join(p.config, 'kube-proxy.kubeconfig') },
    hostnameOverride: NODE_NAME,
    clusterCIDR: POD_CIDR,
    // NodePorts on 127.0.0.1 too, so the load driver on the host reaches Services.
    nodePortAddresses: ['127.0.0.0/8', `${nodeIP}/32`],
    healthzBindAddress: `127.0.0.1:${PORTS.kubeProxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${PORTS.kubeProxyMetrics}`,
    conntrack: { maxPerCore: 0 },
  });
}

export function schedulerConfig(p: ClusterPaths): string {
  return stringify({
    apiVersion: 'kubescheduler.config.k8s.io/v1',
    kind: 'KubeSchedulerConfiguration',
    clientConnection: { kubeconfig: join(p.config, 'scheduler.kubeconfig') },
    leaderElection: { leaderElect: false },
  });
}
