package schema

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/aimesh/aimesh/schemas/crds"
)

var (
	loadOnce sync.Once
	loaded   *Validator
	loadErr  error
)

// validator returns the Load() validator, built once for all tests.
func validator(t *testing.T) *Validator {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = Load() })
	if loadErr != nil {
		t.Fatalf("Load: %v", loadErr)
	}
	return loaded
}

func parse(t *testing.T, src string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(src))
	if err != nil {
		t.Fatalf("yaml: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("json: %v", err)
	}
	return u
}

// want is one expected error: the exact path and a substring of the message.
type want struct{ path, msg string }

type validationCase struct {
	name string
	obj  string
	want []want // nil: the object must be valid
}

func runCases(t *testing.T, v *Validator, cases []validationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := parse(t, tc.obj)
			before := obj.DeepCopy()
			if !v.Knows(obj.GroupVersionKind()) {
				t.Fatalf("Knows(%s) = false", obj.GroupVersionKind())
			}
			got := v.Validate(obj)
			if !equalObjects(before, obj) {
				t.Errorf("Validate modified its argument")
			}
			if tc.want == nil {
				if len(got) != 0 {
					t.Fatalf("want valid, got %d errors:\n%s", len(got), format(got))
				}
				return
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					if g.Path == w.path && strings.Contains(g.Message, w.msg) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("missing error %s: ...%s...; got:\n%s", w.path, w.msg, format(got))
				}
			}
		})
	}
}

func equalObjects(a, b *unstructured.Unstructured) bool {
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	return bytes.Equal(ja, jb)
}

func format(errs []FieldError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.String() + "\n")
	}
	return b.String()
}

// ---- KServe -----------------------------------------------------------------

const inferenceService = `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: pt-style-transfer
  namespace: modelmesh-serving
  annotations: {serving.kserve.io/deploymentMode: ModelMesh}
spec:
  predictor:
    model:
      modelFormat: {name: onnx}
      runtime: triton-2.x
      storage:
        parameters: {type: pvc, name: my-models-pvc}
        path: pytorch/style-transfer/
`

func TestKServe(t *testing.T) {
	runCases(t, validator(t), []validationCase{
		{name: "InferenceService/valid", obj: inferenceService},
		{
			name: "InferenceService/unknown field",
			obj:  strings.Replace(inferenceService, "runtime: triton-2.x", "runtimee: triton-2.x", 1),
			want: []want{{"spec.predictor.model.runtimee", "field not declared in schema"}},
		},
		{
			name: "InferenceService/wrong type",
			obj:  strings.Replace(inferenceService, "modelFormat: {name: onnx}", "modelFormat: {name: 42}", 1),
			want: []want{{"spec.predictor.model.modelFormat.name", "must be of type string"}},
		},
		{
			name: "InferenceService/missing required",
			obj:  strings.Replace(inferenceService, "modelFormat: {name: onnx}", "modelFormat: {version: \"1\"}", 1),
			want: []want{{"spec.predictor.model.modelFormat.name", "Required value"}},
		},
		{
			name: "InferenceService/bad name",
			obj:  strings.Replace(inferenceService, "name: pt-style-transfer", "name: PT_Style", 1),
			want: []want{{"metadata.name", "RFC 1123"}},
		},
		{
			name: "InferenceService/unknown metadata field",
			obj:  strings.Replace(inferenceService, "  namespace: modelmesh-serving", "  namespace: modelmesh-serving\n  lables: {a: b}", 1),
			want: []want{{"metadata.lables", "field not declared in schema"}},
		},
		{name: "ServingRuntime/valid", obj: `
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: triton-2.x, namespace: modelmesh-serving}
spec:
  supportedModelFormats:
  - {name: onnx, version: "1", autoSelect: true}
  - {name: pytorch, version: "1", autoSelect: true}
  multiModel: true
  protocolVersions: [grpc-v2]
  grpcEndpoint: port:8085
  grpcDataEndpoint: port:8001
  builtInAdapter: {serverType: triton, runtimeManagementPort: 8001, memBufferBytes: 134217728, modelLoadingTimeoutMillis: 90000}
  containers:
  - name: triton
    image: nvcr.io/nvidia/tritonserver:23.04-py3
    args: [--model-repository=/models/_triton_models]
    resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "5", memory: 1Gi}}
`},
		{name: "ServingRuntime/wrong type", obj: `
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: triton-2.x, namespace: modelmesh-serving}
spec:
  supportedModelFormats: [{name: onnx, autoSelect: "yes"}]
  containers: [{name: triton, image: tritonserver:23.04-py3}]
`, want: []want{{"spec.supportedModelFormats[0].autoSelect", "must be of type boolean"}}},
		{name: "ClusterServingRuntime/valid", obj: `
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: mlserver-1.x}
spec:
  supportedModelFormats: [{name: sklearn, version: "0", autoSelect: true}]
  multiModel: true
  containers: [{name: mlserver, image: seldonio/mlserver:1.3.2}]
`},
		{name: "ClusterServingRuntime/namespace on a cluster-scoped kind", obj: `
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: mlserver-1.x, namespace: modelmesh-serving}
spec:
  supportedModelFormats: [{name: sklearn}]
  containers: [{name: mlserver, image: seldonio/mlserver:1.3.2}]
`, want: []want{{"metadata.namespace", "not allowed on this type"}}},
	})
}

// ---- Gateway API ------------------------------------------------------------

const waypoint = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata:
  name: style-transfer
  namespace: apsara-demo
  annotations: {istio.io/for-service-account: style-transfer}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`

func TestGatewayAPI(t *testing.T) {
	runCases(t, validator(t), []validationCase{
		{name: "waypoint v1beta1/valid", obj: waypoint},
		{name: "waypoint v1/valid", obj: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: style-transfer, namespace: apsara-demo, labels: {istio.io/waypoint-for: service}}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {namespaces: {from: Same}}}]
`},
		{
			name: "bad listener port",
			obj:  strings.Replace(waypoint, "port: 15008", "port: 70000", 1),
			want: []want{{"spec.listeners[0].port", "less than or equal to 65535"}},
		},
		{
			name: "listener port zero",
			obj:  strings.Replace(waypoint, "port: 15008", "port: 0", 1),
			want: []want{{"spec.listeners[0].port", "greater than or equal to 1"}},
		},
		{
			name: "missing gatewayClassName",
			obj:  strings.Replace(waypoint, "gatewayClassName: istio-waypoint", "", 1),
			want: []want{{"spec.gatewayClassName", "Required value"}},
		},
		{
			// A CEL rule (x-kubernetes-validations) of the Gateway CRD.
			name: "CEL: duplicate listener names",
			obj: strings.Replace(waypoint, "listeners: [{name: mesh, port: 15008, protocol: HBONE}]",
				"listeners: [{name: mesh, port: 15008, protocol: HBONE}, {name: mesh, port: 15009, protocol: HBONE}]", 1),
			want: []want{{"spec.listeners", "Listener name must be unique within the Gateway"}},
		},
		{
			name: "CEL: tls on an HTTP listener",
			obj: strings.Replace(waypoint, "listeners: [{name: mesh, port: 15008, protocol: HBONE}]",
				"listeners: [{name: http, port: 80, protocol: HTTP, tls: {mode: Terminate, certificateRefs: [{name: c}]}}]", 1),
			want: []want{{"spec.listeners", "tls must not be specified for protocols"}},
		},
	})
}

// ---- Argo CD and Flux -------------------------------------------------------

const application = `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: aimesh-ack, namespace: argocd}
spec:
  project: default
  source: {repoURL: "https://git.example.com/aimesh.git", targetRevision: main, path: out/ack}
  destination: {server: "https://kubernetes.default.svc", namespace: modelmesh-serving}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [ServerSideApply=true, CreateNamespace=true]
`

const kustomization = `
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: aimesh-ack, namespace: flux-system}
spec:
  interval: 10m
  path: ./out/ack
  prune: true
  sourceRef: {kind: GitRepository, name: aimesh}
  postBuild:
    substituteFrom: [{kind: Secret, name: aimesh-secrets}]
`

const gitRepository = `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: aimesh, namespace: flux-system}
spec:
  interval: 1m
  url: "https://git.example.com/aimesh.git"
  ref: {branch: main}
`

func TestGitOps(t *testing.T) {
	runCases(t, validator(t), []validationCase{
		{name: "Application/valid", obj: application},
		{
			name: "Application/missing destination",
			obj:  strings.Replace(application, `  destination: {server: "https://kubernetes.default.svc", namespace: modelmesh-serving}`+"\n", "", 1),
			want: []want{{"spec.destination", "Required value"}},
		},
		{
			name: "Application/wrong type",
			obj:  strings.Replace(application, "prune: true", `prune: "yes"`, 1),
			want: []want{{"spec.syncPolicy.automated.prune", "must be of type boolean"}},
		},
		{name: "Kustomization/valid", obj: kustomization},
		{
			name: "Kustomization/bad interval",
			obj:  strings.Replace(kustomization, "interval: 10m", "interval: 10 minutes", 1),
			want: []want{{"spec.interval", "should match"}},
		},
		{
			name: "Kustomization/bad sourceRef kind",
			obj:  strings.Replace(kustomization, "kind: GitRepository", "kind: GitRepo", 1),
			want: []want{{"spec.sourceRef.kind", "Unsupported value"}},
		},
		{name: "GitRepository/valid", obj: gitRepository},
		{
			name: "GitRepository/bad url",
			obj:  strings.Replace(gitRepository, `url: "https://git.example.com/aimesh.git"`, "url: git.example.com/aimesh.git", 1),
			want: []want{{"spec.url", "should match"}},
		},
		{
			name: "GitRepository/unknown field",
			obj:  strings.Replace(gitRepository, "ref: {branch: main}", "ref: {brnach: main}", 1),
			want: []want{{"spec.ref.brnach", "field not declared in schema"}},
		},
	})
}

// ---- ASM (hand-written CRDs) -------------------------------------------------

const asmKServeConfig = `
apiVersion: istio.alibabacloud.com/v1beta1
kind: ASMKServeConfig
metadata: {name: default}
spec: {enabled: true, multiModel: true, multiModelControllerNamespace: modelmesh-serving, tag: v0.11.0}
`

const istioGateway = `
apiVersion: istio.alibabacloud.com/v1beta1
kind: IstioGateway
metadata:
  name: ingressgateway
  namespace: istio-system
  annotations: {asm.alibabacloud.com/replicas-managed-by-asm: "false"}
spec:
  gatewayType: ingress
  clusterIds: ["c1234567890abcdef"]
  serviceType: ClusterIP
  replicaCount: 2
  resources: {requests: {cpu: 200m, memory: 256Mi}, limits: {cpu: "2", memory: 2Gi}}
  serviceAnnotations: {service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: slb.s1.small}
  podLabels: {app: ingressgateway}
  ports:
  - {name: http-8008, port: 8008, targetPort: 8008, protocol: TCP}
  - {name: http-80, port: 80, targetPort: 80, protocol: TCP}
  overrides:
    c1234567890abcdef: {replicaCount: 3}
`

const asmTranscoder = `
apiVersion: istio.alibabacloud.com/v1beta1
kind: ASMGrpcJsonTranscoder
metadata: {name: kserve-v2-transcoder, namespace: istio-system}
spec:
  isGateway: true
  workloadSelector: {labels: {istio: ingressgateway}}
  portNumber: 8008
  builtinProtoDescriptor: KServe_Predict_V2
  services: [inference.GRPCInferenceService]
  printOptions: {addWhitespace: false, alwaysPrintPrimitiveFields: true, preserveProtoFieldNames: true}
  transcodeFirst: true
`

const asmSecurityPolicy = `
apiVersion: istio.alibabacloud.com/v1beta1
kind: ASMSecurityPolicy
metadata: {name: apsara-demo-oidc}
spec:
  oidcConfig:
    issuerURI: https://eiam-api-cn-hangzhou.aliyuncs.com/v2/idaas/app/oidc
    clientID: app_xxx
    clientSecret: ${OIDC_CLIENT_SECRET}
    cookieSecret: ${OIDC_COOKIE_SECRET}
    scopes: [openid, profile]
    redirectProtocol: https
    redirectASMGateway: api-ingressgateway
    redirectDomain: app.example.com
    redirectPort: 443
    workloadGroups:
    - name: gw
      workloadSelector: [{name: api-ingressgateway, namespace: istio-system, kind: ASMGateway}]
      requestSelector: [{host: app.example.com, path: /v2/*}]
`

func TestASM(t *testing.T) {
	runCases(t, validator(t), []validationCase{
		{name: "ASMKServeConfig/valid", obj: asmKServeConfig},
		{
			name: "ASMKServeConfig/wrong type",
			obj:  strings.Replace(asmKServeConfig, "multiModel: true", `multiModel: "true"`, 1),
			want: []want{{"spec.multiModel", "must be of type boolean"}},
		},
		{
			name: "ASMKServeConfig/namespace on a cluster-scoped kind",
			obj:  strings.Replace(asmKServeConfig, "metadata: {name: default}", "metadata: {name: default, namespace: istio-system}", 1),
			want: []want{{"metadata.namespace", "not allowed on this type"}},
		},
		{name: "IstioGateway/valid", obj: istioGateway},
		{
			name: "IstioGateway/bad serviceType",
			obj:  strings.Replace(istioGateway, "serviceType: ClusterIP", "serviceType: Internal", 1),
			want: []want{{"spec.serviceType", "Unsupported value"}},
		},
		{
			name: "IstioGateway/port without number",
			obj:  strings.Replace(istioGateway, "{name: http-80, port: 80, targetPort: 80, protocol: TCP}", "{name: http-80, targetPort: 80}", 1),
			want: []want{{"spec.ports[1].port", "Required value"}},
		},
		{
			name: "IstioGateway/unknown field in overrides",
			obj:  strings.Replace(istioGateway, "{replicaCount: 3}", "{replicas: 3}", 1),
			want: []want{{"spec.overrides.c1234567890abcdef.replicas", "field not declared in schema"}},
		},
		{name: "ASMGrpcJsonTranscoder/valid", obj: asmTranscoder},
		{
			name: "ASMGrpcJsonTranscoder/negative port",
			obj:  strings.Replace(asmTranscoder, "portNumber: 8008", "portNumber: -1", 1),
			want: []want{{"spec.portNumber", "greater than or equal to 0"}},
		},
		{
			name: "ASMGrpcJsonTranscoder/services not a list",
			obj:  strings.Replace(asmTranscoder, "services: [inference.GRPCInferenceService]", "services: inference.GRPCInferenceService", 1),
			want: []want{{"spec.services", "must be of type array"}},
		},
		{name: "ASMSecurityPolicy/valid", obj: asmSecurityPolicy},
		{
			name: "ASMSecurityPolicy/misspelt field",
			obj:  strings.Replace(asmSecurityPolicy, "clientID: app_xxx", "clientId: app_xxx", 1),
			want: []want{{"spec.oidcConfig.clientId", "field not declared in schema"}},
		},
		{
			name: "ASMSecurityPolicy/redirectPort as a string",
			obj:  strings.Replace(asmSecurityPolicy, "redirectPort: 443", `redirectPort: "443"`, 1),
			want: []want{{"spec.oidcConfig.redirectPort", "must be of type integer"}},
		},
	})
}

// ---- API --------------------------------------------------------------------

func TestKnows(t *testing.T) {
	v := validator(t)
	for _, tc := range []struct {
		gvk  k8sschema.GroupVersionKind
		want bool
	}{
		{k8sschema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"}, true},
		{k8sschema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1alpha1", Kind: "InferenceService"}, false},
		{k8sschema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"}, true},
		{k8sschema.GroupVersionKind{Group: "istio.alibabacloud.com", Version: "v1beta1", Kind: "IstioGateway"}, true},
		{k8sschema.GroupVersionKind{Group: "istio.alibabacloud.com", Version: "v1", Kind: "IstioGateway"}, false},
		{k8sschema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}, false},
		{k8sschema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, false},
	} {
		if got := v.Knows(tc.gvk); got != tc.want {
			t.Errorf("Knows(%s) = %v, want %v", tc.gvk, got, tc.want)
		}
	}
	cm := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	if errs := v.Validate(cm); len(errs) != 1 || errs[0].Path != "apiVersion" {
		t.Errorf("Validate(ConfigMap) = %v, want one error on apiVersion", errs)
	}
}

const vsWithASMFields = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: modelmesh, namespace: modelmesh-serving}
spec:
  gateways: [grpc-gateway]
  hosts: ["*"]
  http:
  - name: default
    match: [{port: 8008}]
    headerToDynamicSubsetKey:
    - {header: x-model-format-tensorflow, key: model.format.tensorflow}
    route: [{destination: {host: modelmesh-serving.modelmesh-serving.svc.cluster.local, port: {number: 8033}}}]
`

const drWithASMFields = `
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: modelmesh, namespace: modelmesh-serving}
spec:
  host: modelmesh-serving.modelmesh-serving.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      dynamicSubset:
        fallbackPolicy: ANY_ENDPOINT
        subsetSelectors:
        - keys: [model.format.tensorflow]
          fallbackPolicy: ANY_ENDPOINT
`

// The Istio CRDs are only in LoadAll; the TEST-ONLY variants accept ASM's fields.
func TestLoadAllIstio(t *testing.T) {
	upstream, err := LoadAll(false)
	if err != nil {
		t.Fatal(err)
	}
	patched, err := LoadAll(true)
	if err != nil {
		t.Fatal(err)
	}
	vs, dr := parse(t, vsWithASMFields), parse(t, drWithASMFields)
	if errs := upstream.Validate(vs); !hasError(errs, "spec.http[0].headerToDynamicSubsetKey", "field not declared") {
		t.Errorf("upstream VirtualService schema accepted headerToDynamicSubsetKey: %v", errs)
	}
	if errs := upstream.Validate(dr); !hasError(errs, "spec.trafficPolicy.loadBalancer.dynamicSubset", "field not declared") {
		t.Errorf("upstream DestinationRule schema accepted dynamicSubset: %v", errs)
	}
	if errs := patched.Validate(vs); len(errs) != 0 {
		t.Errorf("test-only VirtualService schema: %v", errs)
	}
	if errs := patched.Validate(dr); len(errs) != 0 {
		t.Errorf("test-only DestinationRule schema: %v", errs)
	}
	// dynamicSubset joined the loadBalancer oneOf: it excludes simple.
	both := parse(t, strings.Replace(drWithASMFields, "      dynamicSubset:", "      simple: ROUND_ROBIN\n      dynamicSubset:", 1))
	if errs := patched.Validate(both); !hasError(errs, "spec.trafficPolicy.loadBalancer", "oneOf") {
		t.Errorf("simple + dynamicSubset accepted: %v", errs)
	}
	bad := parse(t, strings.Replace(drWithASMFields, "fallbackPolicy: ANY_ENDPOINT\n        subsetSelectors", "fallbackPolicy: ANYWHERE\n        subsetSelectors", 1))
	if errs := patched.Validate(bad); !hasError(errs, "spec.trafficPolicy.loadBalancer.dynamicSubset.fallbackPolicy", "Unsupported value") {
		t.Errorf("bad fallbackPolicy accepted: %v", errs)
	}
	// Upstream Istio CEL rules run too.
	timeout := parse(t, strings.Replace(vsWithASMFields, "    match: [{port: 8008}]", "    match: [{port: 8008}]\n    timeout: 0s", 1))
	if errs := patched.Validate(timeout); !hasError(errs, "spec.http[0].timeout", "must be a valid duration greater than 1ms") {
		t.Errorf("CEL duration rule not applied: %v", errs)
	}
}

func hasError(errs []FieldError, path, msg string) bool {
	for _, e := range errs {
		if e.Path == path && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

func TestCRDs(t *testing.T) {
	plain, err := CRDs(false)
	if err != nil {
		t.Fatal(err)
	}
	withTestOnly, err := CRDs(true)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != len(withTestOnly) {
		t.Fatalf("CRDs(false) has %d CRDs, CRDs(true) %d", len(plain), len(withTestOnly))
	}
	wantNames := []string{
		"applications.argoproj.io", "appprojects.argoproj.io",
		"asmgrpcjsontranscoders.istio.alibabacloud.com", "asmkserveconfigs.istio.alibabacloud.com",
		"asmsecuritypolicies.istio.alibabacloud.com", "authorizationpolicies.security.istio.io",
		"clusterservingruntimes.serving.kserve.io", "destinationrules.networking.istio.io",
		"envoyfilters.networking.istio.io", "gatewayclasses.gateway.networking.k8s.io",
		"gateways.gateway.networking.k8s.io", "gateways.networking.istio.io",
		"gitrepositories.source.toolkit.fluxcd.io", "inferenceservices.serving.kserve.io",
		"istiogateways.istio.alibabacloud.com", "kustomizations.kustomize.toolkit.fluxcd.io",
		"requestauthentications.security.istio.io", "servingruntimes.serving.kserve.io",
		"virtualservices.networking.istio.io",
	}
	if len(plain) != len(wantNames) {
		t.Errorf("got %d CRDs, want %d", len(plain), len(wantNames))
	}
	for i, u := range plain {
		if i < len(wantNames) && u.GetName() != wantNames[i] {
			t.Errorf("CRD %d is %s, want %s", i, u.GetName(), wantNames[i])
		}
		if _, ok := u.GetAnnotations()["aimesh.io/test-only"]; ok {
			t.Errorf("CRDs(false) contains test-only %s", u.GetName())
		}
	}
	testOnly := map[string]bool{}
	for _, u := range withTestOnly {
		if _, ok := u.GetAnnotations()["aimesh.io/test-only"]; ok {
			testOnly[u.GetName()] = true
		}
	}
	if len(testOnly) != 2 || !testOnly["virtualservices.networking.istio.io"] || !testOnly["destinationrules.networking.istio.io"] {
		t.Errorf("test-only CRDs = %v, want the VirtualService and DestinationRule ones", testOnly)
	}
	// Fresh objects on every call.
	plain[0].SetName("changed")
	again, _ := CRDs(false)
	if again[0].GetName() == "changed" {
		t.Error("CRDs returns shared objects")
	}
}

// Every vendored CRD, including the hand-written and test-only ones, passes
// the API server's own CRD validation (structural schema, CEL compilation and
// cost limits, names, versions).
func TestCRDsAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, includeTestOnly := range []bool{false, true} {
		all, err := CRDs(includeTestOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range all {
			key := u.GetName() + "/" + u.GetAnnotations()["aimesh.io/test-only"]
			if seen[key] {
				continue
			}
			seen[key] = true
			t.Run(u.GetName()+testOnlySuffix(u), func(t *testing.T) {
				crd := &apiextensionsv1.CustomResourceDefinition{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
					t.Fatal(err)
				}
				apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(crd)
				internal := &apiextensionsinternal.CustomResourceDefinition{}
				if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil); err != nil {
					t.Fatal(err)
				}
				for _, v := range internal.Spec.Versions {
					if v.Storage {
						internal.Status.StoredVersions = []string{v.Name}
					}
				}
				if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
					t.Errorf("invalid CRD:\n%v", errs.ToAggregate())
				}
			})
		}
	}
}

func testOnlySuffix(u *unstructured.Unstructured) string {
	if _, ok := u.GetAnnotations()["aimesh.io/test-only"]; ok {
		return "/testonly"
	}
	return ""
}

// SOURCES.md lists every vendored file with its current sha256.
func TestSourcesMD(t *testing.T) {
	src, err := fs.ReadFile(crds.FS, "SOURCES.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{} // file -> sha256
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		file := strings.Trim(strings.TrimSpace(cells[1]), "`")
		sum := strings.Trim(strings.TrimSpace(cells[len(cells)-2]), "`")
		if path.Ext(file) == ".yaml" {
			listed[file] = sum
		}
	}
	n := 0
	err = fs.WalkDir(crds.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".yaml" {
			return err
		}
		n++
		data, err := fs.ReadFile(crds.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		want, ok := listed[p]
		switch {
		case !ok:
			t.Errorf("%s is not listed in SOURCES.md", p)
		case want != hex.EncodeToString(sum[:]):
			t.Errorf("%s: sha256 %x, SOURCES.md says %s (re-run hack/vendor-schemas.sh)", p, sum, want)
		}
		delete(listed, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for f := range listed {
		t.Errorf("SOURCES.md lists %s, which is not vendored", f)
	}
	if n == 0 {
		t.Fatal("no vendored CRDs")
	}
}

// Validate may be called concurrently (go test -race).
func TestConcurrentValidate(t *testing.T) {
	v := validator(t)
	objs := []string{inferenceService, waypoint, application, kustomization, gitRepository, istioGateway, asmSecurityPolicy}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		for _, src := range objs {
			obj := parse(t, src)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if errs := v.Validate(obj); len(errs) != 0 {
					t.Errorf("%s: %v", obj.GetKind(), errs)
				}
			}()
		}
	}
	wg.Wait()
}
