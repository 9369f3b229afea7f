package validate_test

import (
	"strings"
	"testing"

	"github.com/aimesh/aimesh/generator/compile"
	"github.com/aimesh/aimesh/generator/render/object"
	"github.com/aimesh/aimesh/generator/validate"
)

// TestKube: the Kubernetes parity layer rejects what the API server
// rejects, naming the object, the field path and the CUE position.
func TestKube(t *testing.T) {
	res := reference(t)
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		kind, obj  string
		mutate     func(b map[string]any)
		wantSubstr string
		wantPos    string
	}{
		{"Service name is a DNS-1035 label", "Service", "ai-backend-svc",
			func(b map[string]any) { at(b, "metadata")["name"] = "1ai-backend" },
			"metadata.name: Invalid value: \"1ai-backend\": a DNS-1035 label must consist of", "cue/services.cue:"},
		{"Namespace name is a DNS-1123 label", "Namespace", "apsara-demo",
			func(b map[string]any) { at(b, "metadata")["name"] = "apsara.demo" },
			"metadata.name: Invalid value: \"apsara.demo\"", "cue/platform.cue:"},
		{"label value", "Deployment", "style-transfer-tf",
			func(b map[string]any) { at(b, "metadata")["labels"] = map[string]any{"app": "has space"} },
			"metadata.labels: Invalid value: \"has space\"", "cue/services.cue:"},
		{"label key", "Deployment", "style-transfer-tf",
			func(b map[string]any) { at(b, "metadata")["labels"] = map[string]any{"-bad/key": "x"} },
			"metadata.labels: Invalid value: \"-bad/key\"", "cue/services.cue:"},
		{"cpu request above limit", "Deployment", "style-transfer-tf",
			func(b map[string]any) {
				at(b, "spec", "template", "spec", "containers", 0)["resources"] = map[string]any{
					"requests": map[string]any{"cpu": "2"}, "limits": map[string]any{"cpu": "500m"}}
			},
			"spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit of 500m", "cue/services.cue:"},
		{"selector does not match template", "Deployment", "style-transfer-tf",
			func(b map[string]any) { at(b, "spec", "selector")["matchLabels"] = map[string]any{"app": "other"} },
			"spec.template.metadata.labels: Invalid value", "cue/services.cue:"},
		{"container port name not an IANA service name", "Deployment", "style-transfer-tf",
			func(b map[string]any) {
				at(b, "spec", "template", "spec", "containers", 0)["ports"] = []any{map[string]any{"name": "http-port-number-8000", "containerPort": 8000}}
			},
			"ports[0].name: Invalid value: \"http-port-number-8000\": must be no more than 15 characters", "cue/services.cue:"},
		{"duplicate container port name", "Deployment", "style-transfer-tf",
			func(b map[string]any) {
				at(b, "spec", "template", "spec", "containers", 0)["ports"] = []any{
					map[string]any{"name": "http", "containerPort": 8000}, map[string]any{"name": "http", "containerPort": 8001}}
			},
			"ports[1].name: Duplicate value: \"http\"", "cue/services.cue:"},
		{"Service port names unique", "Service", "ai-backend-svc",
			func(b map[string]any) {
				at(b, "spec")["ports"] = []any{map[string]any{"name": "http", "port": 80}, map[string]any{"name": "http", "port": 81}}
			},
			"spec.ports[1].name: Duplicate value: \"http\"", "cue/services.cue:"},
		{"Service port needs a name when there are two", "Service", "ai-backend-svc",
			func(b map[string]any) {
				at(b, "spec")["ports"] = []any{map[string]any{"name": "http", "port": 80}, map[string]any{"port": 81}}
			},
			"spec.ports[1].name: Required value", "cue/services.cue:"},
		{"PVC of size 0", "PersistentVolumeClaim", "my-models-pvc",
			func(b map[string]any) { at(b, "spec", "resources", "requests")["storage"] = "0" },
			"spec.resources.requests[storage]: Invalid value: \"0\": must be greater than zero", "cue/models.cue:"},
		{"PVC without access modes", "PersistentVolumeClaim", "my-models-pvc",
			func(b map[string]any) { delete(at(b, "spec"), "accessModes") },
			"spec.accessModes: Required value", "cue/models.cue:"},
		{"ConfigMap key", "ConfigMap", "model-serving-config",
			func(b map[string]any) { b["data"] = map[string]any{"config yaml": "x"} },
			"data[config yaml]: Invalid value", "cue/models.cue:"},
		{"Job name is a label value", "Job", "",
			func(b map[string]any) { at(b, "metadata")["name"] = strings.Repeat("j", 64) },
			"metadata.name: Invalid value: \"jjjj", "cue/models.cue:"},
		{"custom resource name", "InferenceService", "pt-style-transfer",
			func(b map[string]any) { at(b, "metadata")["name"] = "PT_style" },
			"metadata.name: Invalid value: \"PT_style\": a lowercase RFC 1123 subdomain", "cue/models.cue:"},
		{"Istio object namespace", "VirtualService", "style-transfer-vs",
			func(b map[string]any) { at(b, "metadata")["namespace"] = "Apsara" },
			"metadata.namespace: Invalid value: \"Apsara\"", "cue/services.cue:"},
		{"mesh: host with a scheme", "Gateway", "ai-app-gateway",
			func(b map[string]any) {
				at(b, "spec", "servers", 0)["hosts"] = []any{"https://Style Transfer.example.com/"}
			},
			"spec.servers[0].hosts[0]: host \"https://Style Transfer.example.com/\": a host name has no scheme", "cue/services.cue:"},
		{"mesh: VirtualService host not a DNS name", "VirtualService", "ai-app-vs",
			func(b map[string]any) { at(b, "spec")["hosts"] = []any{"Style_Transfer.example.com"} },
			"spec.hosts[0]: host \"Style_Transfer.example.com\": a lowercase RFC 1123 subdomain", "cue/services.cue:"},
		{"mesh: HTTPS server without TLS settings", "Gateway", "ai-app-gateway",
			func(b map[string]any) { at(b, "spec", "servers", 0, "port")["protocol"] = "HTTPS" },
			"spec.servers[0].tls: an HTTPS server needs TLS settings", "cue/services.cue:"},
		{"mesh: key material on the gateway", "Gateway", "ai-app-gateway",
			func(b map[string]any) {
				at(b, "spec", "servers", 0, "port")["protocol"] = "HTTPS"
				at(b, "spec", "servers", 0)["tls"] = map[string]any{"mode": "SIMPLE", "serverCertificate": "/etc/certs/cert.pem", "privateKey": "/etc/certs/key.pem"}
			},
			"spec.servers[0].tls.privateKey: key material on the gateway's file system", "cue/services.cue:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := findKind(t, res, tc.kind, tc.obj)
			if ps := v.Object(o); len(ps) != 0 {
				t.Fatalf("unmodified object already invalid: %v", ps)
			}
			tc.mutate(o.Body)
			ps := v.Object(o)
			if len(ps) == 0 {
				t.Fatal("broken object accepted")
			}
			got := validate.Diagnostics(res.Load.Positions, "prod", ps).Error()
			if !strings.Contains(got, tc.wantSubstr) {
				t.Errorf("diagnostic %q does not contain %q", got, tc.wantSubstr)
			}
			if !strings.HasPrefix(got, tc.wantPos) {
				t.Errorf("diagnostic %q does not start at %s", got, tc.wantPos)
			}
		})
	}
}

// findKind finds a prod object of any target by kind and name ("" = the
// first of its kind) and returns a deep copy.
func findKind(t *testing.T, res *compile.Result, kind, name string) object.Object {
	t.Helper()
	for _, o := range res.Objects["prod"] {
		if o.Kind() == kind && (name == "" || o.Name() == name) {
			return find(t, res, o.Target, kind, o.Name())
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return object.Object{}
}

// TestServiceSelectsPods: a Service whose selector matches no pod template
// of its namespace (variantLabel colliding with the selector labels) is
// accepted by the API server and then has no endpoints; aimesh rejects it.
func TestServiceSelectsPods(t *testing.T) {
	res := reference(t)
	v, err := validate.Default()
	if err != nil {
		t.Fatal(err)
	}
	var objs []object.Object
	for _, o := range res.Objects["prod"] {
		if o.Kind() == "Service" && o.Name() == "style-transfer" {
			o = find(t, res, o.Target, o.Kind(), o.Name())
			at(o.Body, "spec")["selector"] = map[string]any{"app": "style-transfer", "model-format": "all"}
		}
		objs = append(objs, o)
	}
	got := validate.Diagnostics(res.Load.Positions, "prod", v.Objects(objs)).Error()
	want := "Service apsara-demo/style-transfer (ack): spec.selector: selects no pods"
	if !strings.Contains(got, want) || !strings.HasPrefix(got, "cue/services.cue:") {
		t.Fatalf("got %q, want %q at cue/services.cue", got, want)
	}
}
