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
// for concurrent use. A kind's schema is parsed and compiled the first time
// an object of that kind is validated: the set of kinds comes from the
// generated index (crdindex_gen.go), not from the CRD files.
type Validator struct {
	kinds map[k8sschema.GroupVersionKind]*lazyKind
}

// lazyDoc is one vendored CRD file, decoded on first use.
type lazyDoc struct {
	file string
	once sync.Once
	crd  *apiextensionsv1.CustomResourceDefinition
	err  error
}

func (d *lazyDoc) load() (*apiextensionsv1.CustomResourceDefinition, error) {
	d.once.Do(func() {
		data, err := fs.ReadFile(crds.JSON, crds.JSONPath(d.file))
		if err != nil {
			d.err = err
			return
		}
		d.crd, d.err = decodeCRD(d.file, data)
	})
	return d.crd, d.err
}

// lazyKind is one served version of a CRD, compiled on first use.
type lazyKind struct {
	doc     *lazyDoc
	version string
	once    sync.Once
	ks      *kindSchema
	err     error
}

func (k *lazyKind) schema() (*kindSchema, error) {
	k.once.Do(func() {
		crd, err := k.doc.load()
		if err != nil {
			k.err = err
			return
		}
		for i := range crd.Spec.Versions {
			ver := &crd.Spec.Versions[i]
			if ver.Name != k.version {
				continue
			}
			k.ks, err = newKindSchema(k.doc.file, crd, ver)
			if err != nil {
				k.err = fmt.Errorf("%s: version %s: %w", k.doc.file, ver.Name, err)
			}
			return
		}
		k.err = fmt.Errorf("%s: version %s is not in the file (crdindex_gen.go is stale)", k.doc.file, k.version)
	})
	return k.ks, k.err
}

// kindSchema is everything needed to validate one served version of a CRD.
type kindSchema struct {
	file       string // path in crds.FS
	namespaced bool
	hasStatus  bool // the version has a status subresource
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil when the schema has no x-kubernetes-validations
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

// Warm compiles the schemas of the given kinds, each in a goroutine of
// its own, and returns when all are built. Validation compiles a kind on
// first use; warming the kinds about to be validated builds them in
// parallel instead of one after the other (the InferenceService schema
// alone takes ~0.15 s). Unknown kinds are ignored.
func (v *Validator) Warm(gvks ...k8sschema.GroupVersionKind) {
	var wg sync.WaitGroup
	for _, gvk := range gvks {
		if lk, ok := v.kinds[gvk]; ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = lk.schema() // an error is reported by Validate
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
	ks, err := lk.schema()
	if err != nil {
		return []FieldError{{Message: "vendored schema: " + err.Error()}}
	}
	return ks.validate(obj.DeepCopy().Object)
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
	errs = append(errs, ks.validateMeta(obj)...)

	// 4. OpenAPI schema, embedded resources, list-type invariants.
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u, ks.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, u, ks.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, ks.structural, u)...)

	// 5. CEL rules, unless a blocking schema error makes them unreliable.
	if ks.cel != nil {
		if blocked, note := hasBlockingErr(errs); blocked {
			errs = append(errs, note)
		} else {
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

func (ks *kindSchema) validateMeta(obj *unstructured.Unstructured) field.ErrorList {
	meta, _, _, err := schemaobjectmeta.GetObjectMetaWithOptions(obj.Object, schemaobjectmeta.ObjectMetaOptions{})
	if err != nil || meta == nil {
		return nil // already reported
	}
	var out field.ErrorList
	for _, e := range metavalidation.ValidateObjectMeta(meta, ks.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata")) {
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

func newKindSchema(file string, crd *apiextensionsv1.CustomResourceDefinition, ver *apiextensionsv1.CustomResourceDefinitionVersion) (*kindSchema, error) {
	if crd.Spec.PreserveUnknownFields {
		return nil, fmt.Errorf("spec.preserveUnknownFields is not supported")
	}
	if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no openAPIV3Schema")
	}
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(ver.Schema, internal, nil); err != nil {
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
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:  ver.Subresources != nil && ver.Subresources.Status != nil,
		structural: ss,
		validator:  sv,
		cel:        cel.NewValidator(ss, true, celconfig.PerCallLimit),
	}, nil
}
