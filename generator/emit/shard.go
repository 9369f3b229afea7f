package emit

import (
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"sync"

	"github.com/aimesh/aimesh/generator/render/object"
)

// MaxRootResources bounds the number of resources in every kustomization
// root that a GitOps engine syncs. kustomize's build time grows with the
// square of the resources of one root (kubernetes-sigs/kustomize#5084);
// at 250 resources `kustomize build` of one root stays well under a
// second (docs/performance.md has the measurements).
const MaxRootResources = 250

// InitShard is the shard of a sharded unit that holds its Namespaces and
// CustomResourceDefinitions: the objects the other shards of the unit
// need to exist first. The other shards depend on it.
const InitShard = "init"

// Root is one kustomization root that a GitOps engine syncs: a whole unit
// (Shard empty) or one shard of a large unit.
type Root struct {
	Target object.Target
	Unit   string
	Shard  string
}

// Dir is the root's directory below the environment:
// <target>/<unit>[/<shard>].
func (r Root) Dir() string {
	d := string(r.Target) + "/" + r.Unit
	if r.Shard != "" {
		d += "/" + r.Shard
	}
	return d
}

// String is <target>-<unit>[-<shard>], the suffix of the names of the
// GitOps objects that sync the root.
func (r Root) String() string {
	s := string(r.Target) + "-" + r.Unit
	if r.Shard != "" {
		s += "-" + r.Shard
	}
	return s
}

// ShardName is the name of hash bucket i of a sharded unit.
func ShardName(i int) string { return fmt.Sprintf("shard-%03d", i) }

// initKinds are applied before anything else of their unit.
var initKinds = map[string]bool{"Namespace": true, "CustomResourceDefinition": true}

// Roots groups ACK and ASM objects by sync root. A unit with at most
// MaxRootResources objects is one root. A larger unit is split:
//
//   - its Namespaces and CustomResourceDefinitions go to the shard "init";
//   - every other object goes to the bucket hash(group, kind, namespace,
//     name) mod n, named shard-NNN, where n is the smallest power of two
//     that keeps the buckets at half the bound on average
//     (n ≥ 2·objects/MaxRootResources), doubled while a bucket exceeds the
//     bound.
//
// A shard therefore depends only on the identity of its objects: adding
// or removing an object never moves another one, as long as n stays the
// same. When the unit grows past a power of two, n doubles and an object
// either stays in its bucket i or moves to i+n/2, so half the objects
// keep their shard.
func Roots(objs []object.Object) map[Root][]object.Object {
	units := map[Root][]object.Object{}
	for _, o := range objs {
		r := Root{Target: o.Target, Unit: o.Unit}
		units[r] = append(units[r], o)
	}
	out := map[Root][]object.Object{}
	for u, os := range units {
		if len(os) <= MaxRootResources {
			out[u] = os
			continue
		}
		var first, rest []object.Object
		var hashes []uint32
		for _, o := range os {
			if initKinds[o.Kind()] {
				first = append(first, o)
				continue
			}
			rest = append(rest, o)
			hashes = append(hashes, identityHash(o))
		}
		if len(first) > 0 {
			out[Root{u.Target, u.Unit, InitShard}] = first
		}
		n := 1
		for n*MaxRootResources < 2*len(rest) {
			n *= 2
		}
		for {
			counts := make([]int, n)
			ok := true
			for _, h := range hashes {
				counts[h%uint32(n)]++
				if counts[h%uint32(n)] > MaxRootResources {
					ok = false
				}
			}
			if ok {
				break
			}
			n *= 2
		}
		for i, o := range rest {
			r := Root{u.Target, u.Unit, ShardName(int(hashes[i] % uint32(n)))}
			out[r] = append(out[r], o)
		}
	}
	return out
}

func identityHash(o object.Object) uint32 {
	h := fnv.New32a()
	g := o.GVK().Group
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", g, o.Kind(), o.Namespace(), o.Name())
	return h.Sum32()
}

// SortedRoots returns the roots of m by target, unit, then shard, with
// a unit's init shard before its other shards.
func SortedRoots[V any](m map[Root]V) []Root {
	out := make([]Root, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].less(out[j]) })
	return out
}

func (r Root) less(o Root) bool {
	if r.Target != o.Target {
		return r.Target < o.Target
	}
	if r.Unit != o.Unit {
		return r.Unit < o.Unit
	}
	if (r.Shard == InitShard) != (o.Shard == InitShard) {
		return r.Shard == InitShard
	}
	return r.Shard < o.Shard
}

// parallel runs f(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	w := runtime.GOMAXPROCS(0)
	if n < 64 || w < 2 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
