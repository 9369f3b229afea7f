package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/aimesh/aimesh/schemas/crds"
)

// FieldError is one validation problem.
type FieldError struct {
	// Path is the JSON field path, e.g. "spec.predictor.model.runtime" or
	// "spec.listeners[0].port"; "" for the object as a whole.
	Path string
	// Message says what is wrong, e.g.
	// `Unsupported value: "Foo": supported values: "ClusterIP", "NodePort", "LoadBalancer"`.
	Message string
}

func (e FieldError) String() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Validator validates objects against the vendored CRD schemas. It is safe
// for concurrent use. A kind's CRD is parsed the first time an object of
// that kind is validated, and its schema compiled for the object's shape
// (specialize.go). The set of kinds comes from the generated index
// (crdindex_gen.go), not from the CRD files.
type Validator struct {
	kinds map[k8sschema.GroupVersionKind]*lazyKind
}

// lazyDoc is one vendored CRD file, parsed on first use into its generic
// JSON form (numbers kept as written): cheap next to decoding the typed
// CRD, whose nested JSONSchemaPropsOrArray re-decodes every level.
type lazyDoc struct {
	file string
	once sync.Once
	crd  map[string]any
	err  error
}

func (d *lazyDoc) load() (map[string]any, error) {
	d.once.Do(func() {
		data, err := fs.ReadFile(crds.JSON, crds.JSONPath(d.file))
		if err != nil {
			d.err = err
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&d.crd); err != nil {
			d.err = fmt.Errorf("%s: %w", d.file, err)
			return
		}
		if d.crd["apiVersion"] != "apiextensions.k8s.io/v1" || d.crd["kind"] != "CustomResourceDefinition" {
			d.err = fmt.Errorf("%s: not an apiextensions.k8s.io/v1 CustomResourceDefinition", d.file)
		}
	})
	return d.crd, d.err
}

// maxShapes bounds the specialised schemas kept per kind: objects of a
// kind beyond that many distinct shapes are validated against the whole
// schema, compiled once, so that a platform of many differently shaped
// objects costs at most one full compilation more.
const maxShapes = 64

// lazyKind is one served version of a CRD. Its whole schema is compiled on
// first use (schema); an object is validated against the schema
// specialised to its shape (schemaFor, specialize.go), compiled once per
// distinct shape.
type lazyKind struct {
	doc     *lazyDoc
	version string

	infoOnce sync.Once
	info     versionInfo
	infoErr  error

	once sync.Once // the whole schema
	ks   *kindSchema
	err  error

	mu     sync.Mutex
	shapes map[string]*shapedSchema

	// passed holds the classes (class.go) of the objects that passed.
	passed sync.Map // [sha256.Size]byte -> struct{}
}

// versionInfo is what validation needs of one version of a CRD besides its
// schema.
type versionInfo struct {
	namespaced bool
	hasStatus  bool
	openAPI    map[string]any // spec.versions[].schema.openAPIV3Schema
	rules      bool           // openAPI holds x-kubernetes-validations
}

type shapedSchema struct {
	once sync.Once
	ks   *kindSchema
	err  error
}

func (k *lazyKind) versionInfo() (*versionInfo, error) {
	k.infoOnce.Do(func() {
		crd, err := k.doc.load()
		if err != nil {
			k.infoErr = err
			return
		}
		k.info, k.infoErr = readVersion(crd, k.doc.file, k.version)
	})
	return &k.info, k.infoErr
}

// readVersion reads what validation needs of one version of a CRD in its
// generic JSON form.
func readVersion(crd map[string]any, file, version string) (versionInfo, error) {
	spec, _ := crd["spec"].(map[string]any)
	if spec["preserveUnknownFields"] == true {
		return versionInfo{}, fmt.Errorf("%s: spec.preserveUnknownFields is not supported", file)
	}
	versions, _ := spec["versions"].([]any)
	for _, v := range versions {
		ver, _ := v.(map[string]any)
		if ver["name"] != version {
			continue
		}
		sch, _ := ver["schema"].(map[string]any)
		openAPI, _ := sch["openAPIV3Schema"].(map[string]any)
		if openAPI == nil {
			return versionInfo{}, fmt.Errorf("%s: version %s: no openAPIV3Schema", file, version)
		}
		sub, _ := ver["subresources"].(map[string]any)
		_, hasStatus := sub["status"]
		return versionInfo{
			namespaced: spec["scope"] == "Namespaced",
			hasStatus:  hasStatus,
			openAPI:    openAPI,
			rules:      hasRules(openAPI),
		}, nil
	}
	return versionInfo{}, fmt.Errorf("%s: version %s is not in the file (crdindex_gen.go is stale)", file, version)
}

// schema compiles the whole schema of the kind.
func (k *lazyKind) schema() (*kindSchema, error) {
	k.once.Do(func() {
		k.ks, k.err = k.compile(nil)
	})
	return k.ks, k.err
}

// schemaFor returns the schema specialised to obj's shape.
func (k *lazyKind) schemaFor(obj map[string]any) (*kindSchema, error) {
	sh := shapeOf(obj)
	key := sh.key()
	k.mu.Lock()
	e, ok := k.shapes[key]
	if !ok {
		if len(k.shapes) >= maxShapes {
			k.mu.Unlock()
			return k.schema()
		}
		if k.shapes == nil {
			k.shapes = map[string]*shapedSchema{}
		}
		e = &shapedSchema{}
		k.shapes[key] = e
	}
	k.mu.Unlock()
	e.once.Do(func() {
		e.ks, e.err = k.compile(sh)
	})
	return e.ks, e.err
}

// compile builds the kind's schema specialised to sh, or whole when sh is
// nil.
func (k *lazyKind) compile(sh *shape) (*kindSchema, error) {
	info, err := k.versionInfo()
	if err != nil {
		return nil, err
	}
	openAPI := info.openAPI
	if sh != nil {
		openAPI = specialize(openAPI, sh)
	}
	js, err := json.Marshal(openAPI)
	if err != nil {
		return nil, fmt.Errorf("%s: version %s: %w", k.doc.file, k.version, err)
	}
	props := &apiextensionsv1.JSONSchemaProps{}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(props); err != nil {
		return nil, fmt.Errorf("%s: version %s: %w", k.doc.file, k.version, err)
	}
	ks, err := newKindSchema(k.doc.file, info.namespaced, info.hasStatus, &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: props})
	if err != nil {
		return nil, fmt.Errorf("%s: version %s: %w", k.doc.file, k.version, err)
	}
	ks.rules = info.rules
	return ks, nil
}

// hasRules reports whether a schema node (JSON form) or a node below it
// through properties, items or additionalProperties carries
// x-kubernetes-validations: whether the API server builds a CEL validator
// for the kind.
func hasRules(node map[string]any) bool {
	if _, ok := node["x-kubernetes-validations"]; ok {
		return true
	}
	props, _ := node["properties"].(map[string]any)
	for _, p := range props {
		if pm, ok := p.(map[string]any); ok && hasRules(pm) {
			return true
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if c, ok := node[k].(map[string]any); ok && hasRules(c) {
			return true
		}
	}
	return false
}

// kindSchema is everything needed to validate one served version of a CRD.
type kindSchema struct {
	file       string // path in crds.FS
	namespaced bool
	hasStatus  bool // the version has a status subresource
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil when the schema has no x-kubernetes-validations
	// rules: the kind's whole schema has x-kubernetes-validations, even if
	// none is left in this specialised one. The API server then stops
	// after a blocking schema error, saying so.
	rules bool
}

// compositePath finds the field of a composite schema error such as
// `"spec.trafficPolicy.loadBalancer" must validate one and only one schema (oneOf)`.
var compositePath = regexp.MustCompile(`^"([^"]+)" must (?:validate|not validate)`)

// unknownFieldMessage is what the API server says under server-side apply.
const unknownFieldMessage = "field not declared in schema"

// Load returns a Validator for every vendored CRD except the Istio ones and
// those under schemas/crds/testonly/.
func Load() (*Validator, error) {
	entries, err := indexDocuments(false)
	if err != nil {
		return nil, err
	}
	var keep []crdIndexEntry
	for _, e := range entries {
		if !isIstio(e.Group) {
			keep = append(keep, e)
		}
	}
	return newValidator(keep)
}

// LoadAll is Load plus the vendored Istio CRDs. With includeTestOnly the
// TEST-ONLY VirtualService and DestinationRule CRDs (which also declare ASM's
// headerToDynamicSubsetKey and dynamicSubset fields) replace the upstream ones.
func LoadAll(includeTestOnly bool) (*Validator, error) {
	entries, err := indexDocuments(includeTestOnly)
	if err != nil {
		return nil, err
	}
	return newValidator(entries)
}

// CRDs returns the vendored CRD objects (Istio's included, sorted by name)
// for installing into a test API server. With includeTestOnly the TEST-ONLY
// VirtualService and DestinationRule variants replace the upstream Istio ones.
// Each call returns fresh objects.
func CRDs(includeTestOnly bool) ([]*unstructured.Unstructured, error) {
	docs, err := crdDocuments(includeTestOnly)
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(docs))
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(d.json); err != nil {
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// Knows reports whether v has a schema for gvk (a served version of a
// vendored CRD).
func (v *Validator) Knows(gvk k8sschema.GroupVersionKind) bool {
	_, ok := v.kinds[gvk]
	return ok
}

// Warm parses the CRDs of the given kinds, each in a goroutine of its own,
// and returns when all are parsed: the part of a kind's first use that
// does not depend on the objects (the InferenceService CRD is 340 KB of
// JSON). Unknown kinds are ignored.
func (v *Validator) Warm(gvks ...k8sschema.GroupVersionKind) {
	var wg sync.WaitGroup
	for _, gvk := range gvks {
		if lk, ok := v.kinds[gvk]; ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = lk.versionInfo() // an error is reported by Validate
			}()
		}
	}
	wg.Wait()
}

// Kinds returns the GroupVersionKinds v validates, sorted.
func (v *Validator) Kinds() []k8sschema.GroupVersionKind {
	out := make([]k8sschema.GroupVersionKind, 0, len(v.kinds))
	for gvk := range v.kinds {
		out = append(out, gvk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Validate returns one FieldError per problem in obj, sorted by path; nil
// when obj is valid. obj is not modified. An object whose kind v does not
// know yields a single error on "apiVersion".
func (v *Validator) Validate(obj *unstructured.Unstructured) []FieldError {
	if obj == nil {
		return []FieldError{{Message: "nil object"}}
	}
	gvk := obj.GroupVersionKind()
	lk, ok := v.kinds[gvk]
	if !ok {
		return []FieldError{{Path: "apiVersion", Message: fmt.Sprintf("no vendored schema for %s, Kind=%s", gvk.GroupVersion(), gvk.Kind)}}
	}
	info, err := lk.versionInfo()
	if err != nil {
		return []FieldError{{Message: "vendored schema: " + err.Error()}}
	}
	class, classed := classKey(info.openAPI, obj.Object)
	if classed {
		if _, ok := lk.passed.Load(class); ok && len(validateMeta(obj, info.namespaced)) == 0 {
			return nil // an object of its class passed (class.go), and its own metadata passes
		}
	}
	ks, err := lk.schemaFor(obj.Object)
	if err != nil {
		return []FieldError{{Message: "vendored schema: " + err.Error()}}
	}
	out := ks.validate(obj.DeepCopy().Object)
	if classed && len(out) == 0 {
		lk.passed.Store(class, struct{}{})
	}
	return out
}

func (ks *kindSchema) validate(u map[string]any) []FieldError {
	var errs field.ErrorList
	unknown := map[string]bool{}

	// 1. Unknown fields: what the server prunes on decode.
	_, _, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
	}
	for _, p := range metaUnknown {
		unknown[p] = true
	}
	for _, p := range structuralpruning.PruneWithOptions(u, ks.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		unknown[p] = true
	}
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u, ks.structural)
	if ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u, ks.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); ferr != nil {
		errs = append(errs, ferr)
	} else {
		for _, p := range paths {
			unknown[p] = true
		}
	}

	// 2. Defaults, and status is not written on create when it is a subresource.
	structuraldefaulting.Default(u, ks.structural)
	if ks.hasStatus {
		delete(u, "status")
	}

	// 3. ObjectMeta, as the server validates it for custom resources.
	obj := &unstructured.Unstructured{Object: u}
	errs = append(errs, validateMeta(obj, ks.namespaced)...)

	// 4. OpenAPI schema, embedded resources, list-type invariants.
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u, ks.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, u, ks.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, ks.structural, u)...)

	// 5. CEL rules, unless a blocking schema error makes them unreliable.
	if ks.rules {
		if blocked, note := hasBlockingErr(errs); blocked {
			errs = append(errs, note)
		} else if ks.cel != nil {
			celErrs, _ := ks.cel.Validate(context.Background(), nil, ks.structural, u, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}

	out := make([]FieldError, 0, len(unknown)+len(errs))
	for p := range unknown {
		out = append(out, FieldError{Path: p, Message: unknownFieldMessage})
	}
	seen := map[FieldError]bool{}
	for _, e := range errs {
		fe := FieldError{Path: e.Field, Message: e.ErrorBody()}
		if fe.Path == "<nil>" {
			fe.Path = ""
		}
		if fe.Path == "" {
			// Composite schema errors (oneOf, anyOf, not) carry their path in the detail only.
			if m := compositePath.FindStringSubmatch(e.Detail); m != nil {
				fe.Path = m[1]
			}
		}
		if !seen[fe] {
			seen[fe] = true
			out = append(out, fe)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// validateMeta validates the object's ObjectMeta as the API server does
// for custom resources.
func validateMeta(obj *unstructured.Unstructured, namespaced bool) field.ErrorList {
	meta, _, _, err := schemaobjectmeta.GetObjectMetaWithOptions(obj.Object, schemaobjectmeta.ObjectMetaOptions{})
	if err != nil || meta == nil {
		return nil // already reported
	}
	var out field.ErrorList
	for _, e := range metavalidation.ValidateObjectMeta(meta, namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata")) {
		// A namespaced object without a namespace gets one at apply time.
		if e.Type == field.ErrorTypeRequired && e.Field == "metadata.namespace" {
			continue
		}
		out = append(out, e)
	}
	return out
}

// hasBlockingErr mirrors the API server: after these schema errors CEL rules
// are not evaluated.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}

// ---- loading ----------------------------------------------------------------

type crdDocument struct {
	file string
	json []byte
	crd  *apiextensionsv1.CustomResourceDefinition
}

const testOnlyDir = "testonly"

func isIstio(group string) bool {
	return group == "istio.io" || strings.HasSuffix(group, ".istio.io")
}

// eachCRD parses every vendored CRD file (YAML) in walk order and calls fn.
func eachCRD(fn func(file string, doc crdDocument) error) error {
	return fs.WalkDir(crds.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".yaml" {
			return nil
		}
		data, err := fs.ReadFile(crds.FS, p)
		if err != nil {
			return err
		}
		doc, err := parseCRD(p, data)
		if err != nil {
			return err
		}
		return fn(p, doc)
	})
}

// crdDocuments reads every vendored CRD, sorted by CRD name. With
// includeTestOnly the testonly/ CRDs replace the ones of the same name;
// without, they are left out.
func crdDocuments(includeTestOnly bool) ([]crdDocument, error) {
	byName := map[string]crdDocument{}
	var testOnly []crdDocument
	err := eachCRD(func(p string, doc crdDocument) error {
		if strings.HasPrefix(p, testOnlyDir+"/") {
			testOnly = append(testOnly, doc)
			return nil
		}
		if prev, dup := byName[doc.crd.Name]; dup {
			return fmt.Errorf("CRD %s is vendored twice: %s and %s", doc.crd.Name, prev.file, p)
		}
		byName[doc.crd.Name] = doc
		return nil
	})
	if err != nil {
		return nil, err
	}
	if includeTestOnly {
		for _, doc := range testOnly {
			if _, ok := byName[doc.crd.Name]; !ok {
				return nil, fmt.Errorf("%s: test-only CRD %s replaces no vendored CRD", doc.file, doc.crd.Name)
			}
			byName[doc.crd.Name] = doc
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]crdDocument, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out, nil
}

func parseCRD(file string, data []byte) (crdDocument, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return crdDocument{}, fmt.Errorf("%s: %w", file, err)
	}
	crd, err := decodeCRD(file, js)
	if err != nil {
		return crdDocument{}, err
	}
	return crdDocument{file: file, json: js, crd: crd}, nil
}

// decodeCRD strictly decodes the JSON form of the CRD file.
func decodeCRD(file string, js []byte) (*apiextensionsv1.CustomResourceDefinition, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(crd); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: not an apiextensions.k8s.io/v1 CustomResourceDefinition", file)
	}
	return crd, nil
}

func newValidator(entries []crdIndexEntry) (*Validator, error) {
	v := &Validator{kinds: map[k8sschema.GroupVersionKind]*lazyKind{}}
	for _, e := range entries {
		doc := &lazyDoc{file: e.File}
		for _, ver := range e.Served {
			gvk := k8sschema.GroupVersionKind{Group: e.Group, Version: ver, Kind: e.Kind}
			if prev, dup := v.kinds[gvk]; dup {
				return nil, fmt.Errorf("%s: %s is also defined in %s", e.File, gvk, prev.doc.file)
			}
			v.kinds[gvk] = &lazyKind{doc: doc, version: ver}
		}
	}
	return v, nil
}

// compileAll builds every kind's schema now; for tests.
func (v *Validator) compileAll() error {
	for _, gvk := range v.Kinds() {
		if _, err := v.kinds[gvk].schema(); err != nil {
			return err
		}
	}
	return nil
}

func newKindSchema(file string, namespaced, hasStatus bool, schema *apiextensionsv1.CustomResourceValidation) (*kindSchema, error) {
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(schema, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema: %w", err)
	}
	ss, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("not a structural schema: %w", err)
	}
	// The vendored schemas are fixed: that they are structural
	// (structuralschema.ValidateStructural) is checked by TestLazyMatchesEager,
	// not at every run.
	sv, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the schema validator: %w", err)
	}
	// PruneDefaults rewrites default values in place, and ss shares them
	// with internal. The API server deep-copies ss first; here internal's
	// only other user, sv, is already built and object validation does not
	// read defaults, so the copy is skipped.
	if err := structuraldefaulting.PruneDefaults(ss); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	return &kindSchema{
		file:       file,
		namespaced: namespaced,
		hasStatus:  hasStatus,
		structural: ss,
		validator:  sv,
		cel:        cel.NewValidator(ss, true, celconfig.PerCallLimit),
	}, nil
}
