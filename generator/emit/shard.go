package emit

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aimesh/aimesh/generator/render/object"
)

// MaxRootResources bounds the number of resources in every kustomization
// root that a GitOps engine syncs. kustomize's build time grows with the
// square of the resources of one root (kubernetes-sigs/kustomize#5084);
// at 250 resources `kustomize build` of one root stays well under a
// second (docs/performance.md has the measurements).
const MaxRootResources = 250

// InitShard is the shard of a sharded root that holds the objects the
// other shards need to exist first: the Namespaces and
// CustomResourceDefinitions of an ACK or ASM unit, the Flux GitRepository
// of the gitops target. The other shards depend on it.
const InitShard = "init"

// Root is one kustomization root that a GitOps engine syncs: a whole unit
// (Shard empty) or one shard of a large unit. The GitOps objects of an
// environment (target object.GitOps) form one unit with an empty name,
// <env>/gitops, which the bootstrap root objects sync.
type Root struct {
	Target object.Target
	Unit   string
	Shard  string
}

// Dir is the root's directory below the environment:
// <target>[/<unit>][/<shard>].
func (r Root) Dir() string { return r.join("/") }

// String is <target>[-<unit>][-<shard>], the suffix of the names of the
// GitOps objects that sync the root.
func (r Root) String() string { return r.join("-") }

func (r Root) join(sep string) string {
	s := string(r.Target)
	for _, p := range []string{r.Unit, r.Shard} {
		if p != "" {
			s += sep + p
		}
	}
	return s
}

// ShardName is the name of hash bucket i of a sharded unit.
func ShardName(i int) string { return fmt.Sprintf("shard-%03d", i) }

// initKinds are applied before anything else of their ACK or ASM unit.
var initKinds = map[string]bool{"Namespace": true, "CustomResourceDefinition": true}

// syncKinds are the objects of the gitops target that sync a root (Argo
// CD Applications, Flux Kustomizations); any other object there (the Flux
// GitRepository they read from) is needed first and goes to the init
// shard. The groups are those of generator/gitops (ArgoCDAPIVersion,
// FluxKustomizeAPIVersion), which imports this package.
var syncKinds = map[schema.GroupKind]bool{
	{Group: "argoproj.io", Kind: "Application"}:                   true,
	{Group: "kustomize.toolkit.fluxcd.io", Kind: "Kustomization"}: true,
}

// initObject reports whether o goes to the init shard of its unit.
func initObject(o object.Object) bool {
	if o.Target == object.GitOps {
		return !syncKinds[o.GVK().GroupKind()]
	}
	return initKinds[o.Kind()]
}

// Roots groups objects by sync root, one unit per target and unit name:
// the units of ACK and ASM, and the GitOps objects of the environment
// (unit ""). A unit with at most MaxRootResources objects is one root. A
// larger unit is split:
//
//   - the objects the others need first go to the shard "init": the
//     Namespaces and CustomResourceDefinitions of an ACK or ASM unit;
//     in the gitops target, everything that is not an Argo CD
//     Application or Flux Kustomization (the GitRepository);
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
	// Slices are allocated at their final length: objects are large, and
	// growing thousands of them by appends cost more than the sharding.
	counts := map[Root]int{}
	for _, o := range objs {
		counts[Root{Target: o.Target, Unit: o.Unit}]++
	}
	units := make(map[Root][]object.Object, len(counts))
	for r, n := range counts {
		units[r] = make([]object.Object, 0, n)
	}
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
		var first []object.Object
		rest := make([]object.Object, 0, len(os))
		hashes := make([]uint32, 0, len(os))
		for _, o := range os {
			if initObject(o) {
				first = append(first, o)
				continue
			}
			rest = append(rest, o)
			hashes = append(hashes, identityHash(o))
		}
		if len(first) > 0 {
			out[Root{u.Target, u.Unit, InitShard}] = first
		}
		n := buckets(hashes)
		sizes := make([]int, n)
		for _, h := range hashes {
			sizes[h%uint32(n)]++
		}
		for i, o := range rest {
			b := int(hashes[i] % uint32(n))
			r := Root{u.Target, u.Unit, ShardName(b)}
			if out[r] == nil {
				out[r] = make([]object.Object, 0, sizes[b])
			}
			out[r] = append(out[r], o)
		}
	}
	return out
}

// buckets returns the number of hash buckets for objects of the given
// identity hashes: the smallest power of two n with
// n·MaxRootResources ≥ 2·len(hashes) under which no bucket exceeds
// MaxRootResources.
func buckets(hashes []uint32) int {
	n := 1
	for n*MaxRootResources < 2*len(hashes) {
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
			return n
		}
		n *= 2
	}
}

// identityHash is the 32-bit FNV-1a hash of "group\0kind\0namespace\0name",
// the key that places an object in its shard: it must never change, or
// every object of a sharded unit could move (TestIdentityHashIsStable
// keeps it equal to hash/fnv over that string). It hashes the parts in
// place: building the string costs more than the hash, thousands of
// objects per environment.
func identityHash(o object.Object) uint32 {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i, part := range [4]string{o.GVK().Group, o.Kind(), o.Namespace(), o.Name()} {
		if i > 0 {
			h *= prime // the separator, a zero byte
		}
		for j := 0; j < len(part); j++ {
			h = (h ^ uint32(part[j])) * prime
		}
	}
	return h
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
