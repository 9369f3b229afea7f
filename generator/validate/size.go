package validate

import (
	"encoding/json"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aimesh/aimesh/generator/render/object"
)

// MaxObjectBytes bounds the size of one rendered object. etcd refuses a
// write over its --max-request-bytes (1.5 MiB by default) and the API
// server a request body over 3 MiB; below 1 MiB there is room for what
// the cluster adds to a stored object (managedFields, status, the
// annotations of the GitOps engines).
const MaxObjectBytes = 1 << 20

const sizeHint = "a value at this position makes the object too large for the cluster to store: keep bulk data out of the platform description (in a ConfigMap or Secret managed elsewhere, a volume or the model store), or split it"

// objectSize refuses an object over MaxObjectBytes, naming the part of it
// that holds most of the bytes. The size is the object's canonical
// encoding, which Seal measured, so the bound costs nothing for objects
// under it.
func objectSize(o object.Object) []Problem {
	n, err := o.EncodedSize()
	if err != nil || n <= MaxObjectBytes {
		return nil
	}
	p := Problem{Object: o, Layer: LayerKube, Hint: sizeHint,
		Message: fmt.Sprintf("the object is %s, over the 1 MiB aimesh allows (etcd refuses writes over 1.5 MiB, the API server requests over 3 MiB)", kib(n))}
	if path, part := largestPart(o.Body); path != nil {
		p.Path = path.String()
		p.Message += fmt.Sprintf("; %s of it are this value", kib(part))
	}
	return []Problem{p}
}

// largestPart descends from the body into the child holding at least half
// of its parent's bytes, as long as there is one, and returns that path
// and its JSON size (nil when no single field dominates the body). It
// runs only for an object already over the bound.
func largestPart(body map[string]any) (*field.Path, int) {
	var path *field.Path
	var v any = body
	size := jsonSize(body)
	for {
		type child struct {
			path *field.Path
			v    any
			size int
		}
		var best child
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys) // the first of equal sizes, on every run
			for _, k := range keys {
				if s := jsonSize(x[k]); s > best.size {
					best = child{childPath(path, k), x[k], s}
				}
			}
		case []any:
			for i, e := range x {
				if s := jsonSize(e); s > best.size {
					best = child{indexPath(path, i), e, s}
				}
			}
		}
		if best.path == nil || 2*best.size < size {
			return path, size
		}
		path, v, size = best.path, best.v, best.size
	}
}

func childPath(p *field.Path, k string) *field.Path {
	if p == nil {
		return field.NewPath(k)
	}
	return p.Child(k)
}

func indexPath(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath("").Index(i) // not reached: bodies are maps
	}
	return p.Index(i)
}

// kib rounds a size up to KiB, so that the message does not change with
// a few bytes of difference between environments.
func kib(n int) string { return fmt.Sprintf("%d KiB", (n+1023)/1024) }

func jsonSize(v any) int {
	data, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(data)
}
