// Package gitops renders the objects that make a GitOps engine sync the
// generated overlays of one environment. They are written, with their own
// kustomization.yaml, to <env>/gitops/ and applied to the cluster that
// runs the engine (kubectl apply -k, or a root Application/Kustomization).
// gitops.engine in CUE picks the engine: argocd, flux or both. A platform
// without a gitops block gets no objects.
//
// RenderBootstrap (bootstrap.go) adds the root objects, target Bootstrap,
// written to <env>/bootstrap/ and applied once per engine: an Argo CD
// app-of-apps Application and a Flux Kustomization on flux bootstrap's
// flux-system GitRepository, both syncing <env>/gitops (or one of each
// per shard of <env>/gitops, see Shards).
//
// # Sync order
//
// The KServe and Istio/ASM CRDs come from ASM, not from aimesh: the
// ASMKServeConfig in the ASM platform unit makes ASM install KServe into
// ACK. The units are therefore applied as
//
//  1. asm/platform: namespaces, IstioGateways, ASMKServeConfig;
//  2. ack/platform: namespaces, service accounts, the model PVC, config;
//  3. ack/apps: ServingRuntimes, InferenceServices, workloads, waypoint;
//  4. asm/routing: Gateways, VirtualServices, DestinationRules, filters,
//     ASMSecurityPolicy and the JWT policies.
//
// # Flux
//
// One GitRepository (<platform>-<env>) and one Kustomization per unit
// (<platform>-<env>-<target>-<unit>), all in gitops.flux.namespace. A CRD
// and its custom resources in one Kustomization fail the server-side
// dry-run (fluxcd/kustomize-controller#1194), so every unit is its own
// Kustomization, chained with dependsOn: asm-platform is the root,
// ack-platform depends on it, ack-apps on ack-platform, asm-routing on
// asm-platform and ack-apps. A missing unit is skipped and its dependents
// inherit its dependencies.
//
// Each Kustomization reaches its remote API server through
// spec.kubeConfig.secretRef: the Secret <cluster name>-kubeconfig (key
// "value") in the Flux namespace, one per ACK and ASM cluster of the
// environment (environments.<env>.clusters.{ack,asm}.name). aimesh does
// not write these Secrets.
//
// Kustomizations use wait: true, except the one whose dependents create
// resources of CRDs that appear asynchronously (AsyncCRDs: the KServe
// CRDs ASM installs into ACK). Flux ignores healthChecks when wait is
// true, so that one (ack-platform) sets wait: false and lists its own
// objects plus those CRDs as healthChecks: ack-apps is applied only once
// the InferenceService and ServingRuntime CRDs exist in ACK.
//
// The SSO client and cookie secrets are never written to Git: the ASM
// output carries ${KEY} placeholders (asm.Placeholder) and the
// Kustomization of the unit holding them gets postBuild.substituteFrom
// with the Secrets named by sso.clientSecret and sso.cookieSecret. Those
// Secrets live in the Flux namespace of the cluster running Flux. Render
// refuses a ${VAR} that no sso secretRef key provides.
//
// The model PVC carries kustomize.toolkit.fluxcd.io/prune: disabled and
// argocd.argoproj.io/sync-options: Prune=false,Delete=false (set by the
// ACK renderer); Render fails if prune is on and a PVC lacks the opt-out
// of an engine in use.
//
// # Shards
//
// A unit with more than emit.MaxRootResources (250) objects is split into
// shards (emit.Roots: its Namespaces and CRDs in <unit>/init, the rest in
// hash buckets <unit>/shard-NNN), because kustomize's build time grows
// with the square of the resources of one root. The GitOps objects then
// follow the shards: one Flux Kustomization per shard
// (<platform>-<env>-<target>-<unit>-<shard>), each depending on every
// shard of the units its unit depends on and, for hash buckets, on the
// unit's init shard; healthChecks and postBuild are computed per shard.
// With Argo CD, one Application per shard replaces the per-target
// Applications, with app-of-apps sync waves 2i (init shard) and 2i+1 for
// the i-th unit of FluxOrder. Nothing that syncs points at the aggregate
// <env>/<target> or <unit> kustomizations, which stay for humans
// (kustomize build overlays/prod/ack). A platform whose units are all
// under the bound is rendered exactly as before.
//
// The GitOps objects themselves are one more kustomization root, synced by
// the bootstrap objects; at thousands of models an environment has
// hundreds of sync roots, hence two GitOps objects per root with both
// engines. Over emit.MaxRootResources emit.Build splits <env>/gitops the
// same way (emit.Roots): the GitRepository, and anything else that is not
// an Application or Kustomization, in <env>/gitops/init, the rest hashed
// into <env>/gitops/shard-NNN. RenderBootstrap then emits, per engine,
// one root object per gitops shard, <platform>-<env>-root-<shard>: the
// Argo CD Application of init in sync wave WaveRootInit ("0"), the others
// in WaveRootShard ("1"); the Flux Kustomizations of the hash shards
// depend on the init one. Nothing syncs <env>/gitops/kustomization.yaml,
// which then lists the shards for humans. With Argo CD the sync waves of the Applications
// in <env>/gitops then order only the Applications of one gitops shard;
// across gitops shards nothing orders them, and the retry policy
// (ArgoRetry) lets a sync that failed for want of its dependencies try
// again. Flux's dependsOn crosses shards.
//
// # Argo CD
//
// One Application per target (<platform>-<env>-ack, -asm) in
// gitops.argocd.namespace and project gitops.argocd.project, with source
// <path>/<env>/<target> at gitops.branch, destination the cluster's
// server (or its Argo CD name when no server is given), automated sync
// with gitops.prune and gitops.selfHeal, the sync options
// CreateNamespace=false, ServerSideApply=true, PruneLast=true, and a
// retry with backoff: automated sync never retries a failed revision on
// its own, and the first sync of ACK can fail until ASM has installed the
// KServe CRDs.
//
// Render annotates every ACK and ASM object with
// argocd.argoproj.io/sync-wave: "0" in a platform unit, "1" otherwise,
// so namespaces and the ASMKServeConfig are applied first inside each
// Application. The Applications themselves carry sync waves for an
// app-of-apps: ASM "-1", ACK "0". Argo CD only waits on a child
// Application's health when the argoproj.io/Application health check is
// enabled in argocd-cm (resource.customizations), which aimesh does not
// manage.
//
// Argo CD does not substitute variables: with Argo CD, the ${KEY}
// placeholders of the ASMSecurityPolicy must be resolved at sync time by
// argocd-vault-plugin or a similar Config Management Plugin configured on
// the Argo CD side. aimesh emits the ASM Application unchanged and does
// not select a plugin.
//
// engine both renders the objects of both engines; both would then
// reconcile the same resources, so apply only one of them per cluster
// (both is for migrating from one engine to the other).
package gitops
