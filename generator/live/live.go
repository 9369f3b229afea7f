package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aimesh/aimesh/generator/diff"
	"github.com/aimesh/aimesh/generator/render/object"
)

// FieldManager is the server-side apply field manager of every request.
const FieldManager = "aimesh"

// ownerGroup prefixes ssa's ownership labels; aimesh does not set them.
const ownerGroup = "aimesh.dev"

// concurrency is the number of requests in flight.
const concurrency = 8

// lastApplied is kubectl's client-side apply annotation.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// Client is a connection to one API server. It is safe for concurrent use.
type Client struct {
	c client.Client
	m *ssa.ResourceManager
}

// NewClient connects to the API server of cfg. Kinds are resolved lazily
// (discovery on first use of a group), so CRDs installed through this
// client are usable right after they are established.
func NewClient(cfg *rest.Config) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("live: no rest.Config")
	}
	c, err := client.New(rest.CopyConfig(cfg), client.Options{})
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	poller := polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{})
	m := ssa.NewResourceManager(c, poller, ssa.Owner{Field: FieldManager, Group: ownerGroup})
	m.SetConcurrency(concurrency)
	return &Client{c: c, m: m}, nil
}

// connect converts objs and opens a client to cfg's API server.
func connect(cfg *rest.Config, objs []object.Object) ([]*unstructured.Unstructured, *Client, error) {
	us, err := Unstructured(objs)
	if err != nil {
		return nil, nil, err
	}
	c, err := NewClient(cfg)
	if err != nil {
		return nil, nil, err
	}
	return us, c, nil
}

// Unstructured converts objects into fresh unstructured objects (a JSON
// round trip: integers become int64, nothing is shared with objs).
func Unstructured(objs []object.Object) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		b, err := json.Marshal(o.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID(), err)
		}
		out = append(out, u)
	}
	return out, nil
}

// ---- apply ------------------------------------------------------------------

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Wait waits, after the last stage, until every applied object is
	// ready (kstatus "Current"). CRDs and Namespaces are always waited for
	// before the objects that need them.
	Wait bool
	// Timeout bounds each wait; 0 means 2 minutes.
	Timeout time.Duration
	// Interval is the poll interval of the waits; 0 means 500ms.
	Interval time.Duration
	// Force deletes and recreates objects whose immutable fields changed.
	Force bool
}

func (o ApplyOptions) ssa() ssa.ApplyOptions {
	a := ssa.DefaultApplyOptions()
	a.Force = o.Force
	a.WaitTimeout = o.Timeout
	if a.WaitTimeout <= 0 {
		a.WaitTimeout = 2 * time.Minute
	}
	a.WaitInterval = o.Interval
	if a.WaitInterval <= 0 {
		a.WaitInterval = 500 * time.Millisecond
	}
	return a
}

// Apply applies objs with server-side apply in stages (see the package
// documentation) and returns what changed. On error the change set holds
// the entries applied so far.
func Apply(ctx context.Context, cfg *rest.Config, objs []object.Object, opts ApplyOptions) (*ssa.ChangeSet, error) {
	us, c, err := connect(cfg, objs)
	if err != nil {
		return nil, err
	}
	return c.Apply(ctx, us, opts)
}

// Apply is the package's Apply for unstructured objects (for instance the
// CRDs of schema.CRDs). objs are not modified.
func (c *Client) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts ApplyOptions) (*ssa.ChangeSet, error) {
	us := make([]*unstructured.Unstructured, len(objs))
	for i, u := range objs {
		us[i] = u.DeepCopy()
	}
	so := opts.ssa()
	cs, err := c.m.ApplyAllStaged(ctx, us, so)
	if err != nil {
		return cs, fmt.Errorf("live: apply: %w", err)
	}
	if opts.Wait {
		if err := c.m.WaitForSet(cs.ToObjMetadataSet(), ssa.WaitOptions{Interval: so.WaitInterval, Timeout: so.WaitTimeout}); err != nil {
			return cs, fmt.Errorf("live: wait: %w", err)
		}
	}
	return cs, nil
}

// ---- dry-run ----------------------------------------------------------------

// Rejection is an object the API server refused.
type Rejection struct {
	// Object names the object (the offline diff's identity: group, kind,
	// namespace, name).
	Object diff.ObjectID `json:"object"`
	// APIVersion is the object's apiVersion.
	APIVersion string `json:"apiVersion"`
	// Origin is the CUE path the object was rendered from, when known.
	Origin string `json:"origin,omitempty"`
	// Message is the server's message (or the client's, when the kind is
	// not served at all).
	Message string `json:"message"`

	index int // of the object in the request
}

// String is "Kind namespace/name: message".
func (r Rejection) String() string { return r.Object.String() + ": " + r.Message }

// DryRun sends every object as a server-side dry-run apply (field manager
// FieldManager, forcing conflicts as a real apply by aimesh would) and
// returns the rejected ones in the order of objs; nil when the server
// accepts all. The error is for failures that say nothing about the
// object's validity (connection refused, unauthorised or forbidden,
// throttled, a cancelled context); it stops the dry-run.
func DryRun(ctx context.Context, cfg *rest.Config, objs []object.Object) ([]Rejection, error) {
	us, c, err := connect(cfg, objs)
	if err != nil {
		return nil, err
	}
	rs, err := c.DryRun(ctx, us)
	for i := range rs {
		rs[i].Origin = objs[rs[i].index].Origin
	}
	return rs, err
}

// DryRun is the package's DryRun for unstructured objects (Origin is left
// empty); objs are not modified.
func (c *Client) DryRun(ctx context.Context, objs []*unstructured.Unstructured) ([]Rejection, error) {
	errs := make([]error, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, u := range objs {
		g.Go(func() error {
			obj := u.DeepCopy()
			err := c.c.Apply(gctx, client.ApplyConfigurationFromUnstructured(obj),
				client.DryRunAll, client.ForceOwnership, client.FieldOwner(FieldManager))
			if err != nil && !isRejection(err) {
				return fmt.Errorf("live: dry-run of %s: %w", idOf(u), err)
			}
			errs[i] = err
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Rejection
	for i, err := range errs {
		if err != nil {
			out = append(out, Rejection{Object: idOf(objs[i]), APIVersion: objs[i].GetAPIVersion(), Message: err.Error(), index: i})
		}
	}
	return out, nil
}

// isRejection reports whether err is the server's verdict on an object
// rather than a failure to reach it.
func isRejection(err error) bool {
	if meta.IsNoMatchError(err) {
		return true
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	switch {
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err), apierrors.IsTooManyRequests(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err):
		return false
	}
	return true
}

func idOf(u *unstructured.Unstructured) diff.ObjectID {
	gvk := u.GroupVersionKind()
	return diff.ObjectID{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// ---- diff -------------------------------------------------------------------

// DiffOptions tune Diff.
type DiffOptions struct {
	// Env is the environment of the report's sections (one section per
	// target of the objects: <env>/<target>).
	Env string
	// Base and Head name the two sides in the report; defaults "cluster"
	// and "working tree". Base is the cluster, Head the rendered objects:
	// "added" means "not in the cluster".
	Base, Head string
}

// Diff compares objs with the cluster of cfg and returns a report in the
// offline diff's format: one section per target of objs, each listing
// the objects missing from the cluster as added and the drifted ones as
// changed, with field paths and live → rendered values. An object the
// server refuses to dry-run fails the diff (the error names every such
// object), except when it fails only because its namespace does not
// exist yet and that namespace is itself added by this diff.
func Diff(ctx context.Context, cfg *rest.Config, objs []object.Object, opts DiffOptions) (*diff.Report, error) {
	us, c, err := connect(cfg, objs)
	if err != nil {
		return nil, err
	}
	targets := make([]string, len(objs))
	for i, o := range objs {
		targets[i] = string(o.Target)
	}
	return c.Diff(ctx, us, targets, opts)
}

// diffResult is the outcome of one object.
type diffResult struct {
	action  ssa.Action
	changes []diff.Change
	err     error
}

// Diff is the package's Diff for unstructured objects; targets[i] is the
// section target of objs[i].
func (c *Client) Diff(ctx context.Context, objs []*unstructured.Unstructured, targets []string, opts DiffOptions) (*diff.Report, error) {
	if len(targets) != len(objs) {
		return nil, errors.New("live: one target per object")
	}
	if opts.Base == "" {
		opts.Base = "cluster"
	}
	if opts.Head == "" {
		opts.Head = "working tree"
	}
	results := make([]diffResult, len(objs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for i, u := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = c.diffOne(ctx, u.DeepCopy())
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Namespaces this diff adds: objects in them cannot be dry-run yet.
	addedNS := map[string]bool{}
	for i, u := range objs {
		if results[i].err == nil && results[i].action == ssa.CreatedAction && u.GroupVersionKind().Group == "" && u.GetKind() == "Namespace" {
			addedNS[u.GetName()] = true
		}
	}
	sections := map[diff.Section]*diff.SectionDiff{}
	var errs []error
	for i, u := range objs {
		s := diff.Section{Env: opts.Env, Target: targets[i]}
		sd := sections[s]
		if sd == nil {
			sd = &diff.SectionDiff{Section: s, Added: []diff.ObjectID{}, Removed: []diff.ObjectID{}, Changed: []diff.ObjectDiff{}}
			sections[s] = sd
		}
		r := results[i]
		id := idOf(u)
		if r.err != nil {
			if addedNS[u.GetNamespace()] && namespaceMissing(r.err) {
				sd.Added = append(sd.Added, id)
				continue
			}
			errs = append(errs, r.err)
			continue
		}
		switch r.action {
		case ssa.CreatedAction:
			sd.Added = append(sd.Added, id)
		case ssa.ConfiguredAction:
			if len(r.changes) > 0 {
				sd.Changed = append(sd.Changed, diff.ObjectDiff{Object: id, Changes: r.changes})
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("live: diff: %w", errors.Join(errs...))
	}
	rep := &diff.Report{Base: opts.Base, Head: opts.Head, Sections: []diff.SectionDiff{}}
	for _, sd := range sections {
		sortIDs(sd.Added)
		sort.Slice(sd.Changed, func(i, j int) bool { return sd.Changed[i].Object.Less(sd.Changed[j].Object) })
		rep.Sections = append(rep.Sections, *sd)
	}
	sort.Slice(rep.Sections, func(i, j int) bool {
		a, b := rep.Sections[i].Section, rep.Sections[j].Section
		if a.Env != b.Env {
			return a.Env < b.Env
		}
		return a.Target < b.Target
	})
	return rep, nil
}

func (c *Client) diffOne(ctx context.Context, u *unstructured.Unstructured) diffResult {
	entry, live, merged, err := c.m.Diff(ctx, u, ssa.DefaultDiffOptions())
	if err != nil {
		return diffResult{err: err}
	}
	r := diffResult{action: entry.Action}
	if entry.Action == ssa.ConfiguredAction && live != nil && merged != nil {
		r.changes = diff.Objects(idOf(u), Clean(live.Object), Clean(merged.Object))
	}
	return r
}

// namespaceMissing reports whether err is the server saying that the
// object's namespace does not exist.
func namespaceMissing(err error) bool {
	if !apierrors.IsNotFound(err) {
		return false
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		if d := st.Status().Details; d != nil && d.Kind == "namespaces" {
			return true
		}
	}
	return false
}

// Clean returns a copy of an object read from a server without the fields
// the server manages: status, metadata.managedFields, resourceVersion,
// uid, generation, creationTimestamp, selfLink and the
// kubectl.kubernetes.io/last-applied-configuration annotation (empty
// annotations are dropped).
func Clean(obj map[string]any) map[string]any {
	out := (&unstructured.Unstructured{Object: obj}).DeepCopy().Object
	delete(out, "status")
	md, ok := out["metadata"].(map[string]any)
	if !ok {
		return out
	}
	for _, k := range []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"} {
		delete(md, k)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		delete(ann, lastApplied)
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	return out
}

func sortIDs(ids []diff.ObjectID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
}
