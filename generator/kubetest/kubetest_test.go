package kubetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimesh/aimesh/generator/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

var (
	namespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	configMaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

func obj(m map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: m}
}

func dryRun(ctx context.Context, c dynamic.Interface, gvr schema.GroupVersionResource, ns string, u *unstructured.Unstructured) error {
	opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	var err error
	if ns == "" {
		_, err = c.Resource(gvr).Create(ctx, u, opts)
	} else {
		_, err = c.Resource(gvr).Namespace(ns).Create(ctx, u, opts)
	}
	return err
}

// TestDryRun runs server-side dry-runs on the shared server.
func TestDryRun(t *testing.T) {
	began := time.Now()
	s := kubetest.RequireServer(t)
	t.Logf("RequireServer (shared server, started on first use) took %s", time.Since(began).Round(time.Millisecond))
	ctx := t.Context()
	c, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("valid", func(t *testing.T) {
		ns := obj(map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": "aimesh-dry-run"},
		})
		if err := dryRun(ctx, c, namespaces, "", ns); err != nil {
			t.Errorf("dry-run create Namespace: %v", err)
		}
		cm := obj(map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "aimesh-config"},
			"data":     map[string]any{"key": "value"},
		})
		if err := dryRun(ctx, c, configMaps, "default", cm); err != nil {
			t.Errorf("dry-run create ConfigMap: %v", err)
		}
		// A dry-run persists nothing.
		if _, err := c.Resource(namespaces).Get(ctx, "aimesh-dry-run", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("dry-run Namespace exists after the dry-run (err=%v)", err)
		}
	})

	invalid := []struct {
		name string
		gvr  schema.GroupVersionResource
		ns   string
		obj  map[string]any
		want []string // substrings of the error message
	}{{
		name: "namespace name",
		gvr:  namespaces,
		obj: map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": "Invalid_Name"},
		},
		want: []string{`Namespace "Invalid_Name" is invalid`, "metadata.name"},
	}, {
		name: "negative replicas",
		gvr:  deployments,
		ns:   "default",
		obj: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "bad-replicas"},
			"spec": map[string]any{
				"replicas": int64(-1),
				"selector": map[string]any{"matchLabels": map[string]any{"app": "x"}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": "x"}},
					"spec": map[string]any{"containers": []any{
						map[string]any{"name": "x", "image": "example.com/x:1"},
					}},
				},
			},
		},
		want: []string{`Deployment.apps "bad-replicas" is invalid`, "spec.replicas"},
	}, {
		name: "unknown field",
		gvr:  configMaps,
		ns:   "default",
		obj: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "bad-field"},
			"dataa":    map[string]any{"key": "value"},
		},
		want: []string{`unknown field "dataa"`},
	}}
	for _, tc := range invalid {
		t.Run("invalid "+tc.name, func(t *testing.T) {
			err := dryRun(ctx, c, tc.gvr, tc.ns, obj(tc.obj))
			if err == nil {
				t.Fatal("dry-run accepted an invalid object")
			}
			t.Logf("rejected: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestStartStop starts a server of its own, reaches it through its
// kubeconfig, and checks that Stop leaves no process or file behind.
func TestStartStop(t *testing.T) {
	dir := kubetest.RequireAssets(t)
	var logs bytes.Buffer
	before := childPIDs()
	began := time.Now()
	s, err := kubetest.Start(t.Context(), dir, &logs)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for pid := range childPIDs() {
		if !before[pid] {
			pids = append(pids, pid)
		}
	}
	if runtime.GOOS == "linux" && len(pids) != 2 {
		t.Errorf("Start left %d new etcd/kube-apiserver children, want 2: %v", len(pids), pids)
	}
	t.Logf("Start took %s (etcd + kube-apiserver, until /readyz and namespace default)", time.Since(began).Round(time.Millisecond))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = s.Stop()
		}
	})

	kc, err := s.Kubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		t.Fatalf("server version through the kubeconfig: %v", err)
	}
	t.Logf("server version %s", v.GitVersion)

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, pid := range pids {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("process %d still exists after Stop (%v)", pid, err)
		}
	}
	// Only this server's own directory is checked: other test binaries
	// (go test runs packages in parallel) start servers of their own.
	if _, err := os.Stat(s.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temp dir %s still exists after Stop (%v)", s.Dir(), err)
	}
	if !strings.Contains(logs.String(), "ready in") {
		t.Errorf("logw did not get the start-up log:\n%s", logs.String())
	}
}

// childPIDs lists the etcd and kube-apiserver children of this test binary.
func childPIDs() map[int]bool {
	pids := map[int]bool{}
	if runtime.GOOS != "linux" {
		return pids
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || end < open {
			continue
		}
		comm := string(stat[open+1 : end])
		f := strings.Fields(string(stat[end+1:]))
		if len(f) >= 2 && f[1] == strconv.Itoa(os.Getpid()) && (comm == "etcd" || comm == "kube-apiserver") {
			pids[pid] = true
		}
	}
	return pids
}

// fakeTB records Skip and Fatal instead of ending the real test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

func requireAssets(tb testing.TB) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		kubetest.RequireAssets(tb)
	}()
	<-done
}

// TestRequireWithoutAssets: missing assets skip the test, but fail it under CI=true.
func TestRequireWithoutAssets(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(kubetest.EnvAssets, empty)
	if dir, ok := kubetest.AssetsDir(); ok {
		t.Fatalf("AssetsDir() = %q, true for an empty directory", dir)
	}

	t.Setenv("CI", "")
	f := &fakeTB{}
	requireAssets(f)
	if !f.skipped || f.failed || !strings.Contains(f.msg, empty) || !strings.Contains(f.msg, "hack/kube-apiserver.sh") {
		t.Errorf("outside CI: skipped=%v failed=%v msg=%q, want a skip naming %s and the script", f.skipped, f.failed, f.msg, empty)
	}

	t.Setenv("CI", "true")
	f = &fakeTB{}
	requireAssets(f)
	if f.skipped || !f.failed || !strings.Contains(f.msg, "CI=true") {
		t.Errorf("CI=true: skipped=%v failed=%v msg=%q, want a failure", f.skipped, f.failed, f.msg)
	}
}
