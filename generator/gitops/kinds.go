package gitops

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// API versions of the kinds aimesh writes under <env>/gitops/.
const (
	ArgoCDAPIVersion        = "argoproj.io/v1alpha1"
	FluxSourceAPIVersion    = "source.toolkit.fluxcd.io/v1"
	FluxKustomizeAPIVersion = "kustomize.toolkit.fluxcd.io/v1"
)

// Application is the subset of the Argo CD Application
// (argoproj.io/v1alpha1) that aimesh writes.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ApplicationSpec `json:"spec"`
}

type ApplicationSpec struct {
	Project     string                 `json:"project"`
	Source      ApplicationSource      `json:"source"`
	Destination ApplicationDestination `json:"destination"`
	SyncPolicy  *SyncPolicy            `json:"syncPolicy,omitempty"`
}

type ApplicationSource struct {
	RepoURL        string `json:"repoURL"`
	Path           string `json:"path"`
	TargetRevision string `json:"targetRevision"`
}

// ApplicationDestination names the cluster by server URL or by Argo CD
// cluster name; Argo CD accepts exactly one of them.
type ApplicationDestination struct {
	Server string `json:"server,omitempty"`
	Name   string `json:"name,omitempty"`
}

type SyncPolicy struct {
	Automated   *SyncPolicyAutomated `json:"automated,omitempty"`
	SyncOptions []string             `json:"syncOptions,omitempty"`
	Retry       *RetryStrategy       `json:"retry,omitempty"`
}

type SyncPolicyAutomated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

type RetryStrategy struct {
	Limit   int64    `json:"limit"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

type Backoff struct {
	Duration    string `json:"duration"`
	Factor      int64  `json:"factor"`
	MaxDuration string `json:"maxDuration"`
}

// GitRepository is the subset of the Flux GitRepository
// (source.toolkit.fluxcd.io/v1) that aimesh writes.
type GitRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              GitRepositorySpec `json:"spec"`
}

type GitRepositorySpec struct {
	URL      string        `json:"url"`
	Interval string        `json:"interval"`
	Ref      *GitReference `json:"ref,omitempty"`
}

type GitReference struct {
	Branch string `json:"branch,omitempty"`
}

// Kustomization is the subset of the Flux Kustomization
// (kustomize.toolkit.fluxcd.io/v1) that aimesh writes.
type Kustomization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              KustomizationSpec `json:"spec"`
}

type KustomizationSpec struct {
	Interval     string                `json:"interval"`
	Path         string                `json:"path"`
	Prune        bool                  `json:"prune"`
	SourceRef    CrossNamespaceRef     `json:"sourceRef"`
	Wait         bool                  `json:"wait,omitempty"`
	Timeout      string                `json:"timeout,omitempty"`
	KubeConfig   *KubeConfigReference  `json:"kubeConfig,omitempty"`
	DependsOn    []DependencyReference `json:"dependsOn,omitempty"`
	HealthChecks []HealthCheckRef      `json:"healthChecks,omitempty"`
	PostBuild    *PostBuild            `json:"postBuild,omitempty"`
}

type CrossNamespaceRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type KubeConfigReference struct {
	SecretRef SecretKeyReference `json:"secretRef"`
}

type SecretKeyReference struct {
	Name string `json:"name"`
	Key  string `json:"key,omitempty"`
}

type DependencyReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// HealthCheckRef is Flux's NamespacedObjectKindReference.
type HealthCheckRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
}

type PostBuild struct {
	SubstituteFrom []SubstituteReference `json:"substituteFrom,omitempty"`
}

type SubstituteReference struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}
