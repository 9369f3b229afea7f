package model

import "testing"

func i32(n int32) *int32 { return &n }

// TestScalingResolution: one level decides scaling; an environment's
// replicas or autoscaling replaces both of the level it overrides; a
// variant that says anything about scaling wins over its service.
func TestScalingResolution(t *testing.T) {
	as := &Autoscaling{Min: 2, Max: 5}
	for _, tc := range []struct {
		name         string
		svc          Service
		env          EnvService
		wantReplicas int32
		wantHPA      bool
	}{
		{"default one replica", Service{}, EnvService{}, 1, false},
		{"service replicas", Service{Replicas: i32(3)}, EnvService{}, 3, false},
		{"variant replicas win", Service{Replicas: i32(3), Variants: map[string]Variant{"v": {Name: "v", Replicas: i32(2)}}}, EnvService{}, 2, false},
		{"env variant autoscaling replaces base variant replicas",
			Service{Variants: map[string]Variant{"v": {Name: "v", Replicas: i32(2)}}},
			EnvService{Variants: map[string]EnvVariant{"v": {Autoscaling: as}}}, 0, true},
		{"env service replicas replace base service autoscaling",
			Service{Workload: Workload{Autoscaling: as}}, EnvService{Replicas: i32(4)}, 4, false},
		{"base variant replicas win over env service autoscaling",
			Service{Variants: map[string]Variant{"v": {Name: "v", Replicas: i32(2)}}},
			EnvService{Autoscaling: as}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.svc.Name = "s"
			p := &Platform{Services: map[string]Service{"s": tc.svc},
				Environments: map[string]Environment{"e": {Name: "e", Services: map[string]EnvService{"s": tc.env}}}}
			r, err := p.Resolve("e")
			if err != nil {
				t.Fatal(err)
			}
			pods := r.Services["s"].Pods()
			if len(pods) != 1 {
				t.Fatalf("%d pods", len(pods))
			}
			got := pods[0]
			if (got.Autoscaling != nil) != tc.wantHPA || (!tc.wantHPA && got.Replicas != tc.wantReplicas) {
				t.Errorf("replicas %d, autoscaling %v; want %d, HPA %v", got.Replicas, got.Autoscaling, tc.wantReplicas, tc.wantHPA)
			}
			if got.ScaledOut() != (tc.wantHPA || tc.wantReplicas >= 2) {
				t.Errorf("ScaledOut() = %v", got.ScaledOut())
			}
		})
	}
}

func TestPrincipal(t *testing.T) {
	p := &Platform{}
	if got := p.Principal("ns", "sa"); got != "cluster.local/ns/ns/sa/sa" {
		t.Errorf("default trust domain: %s", got)
	}
	p.Mesh.TrustDomain = "prod.example"
	if got := p.Principal("ns", "sa"); got != "prod.example/ns/ns/sa/sa" {
		t.Errorf("trust domain: %s", got)
	}
}
