package check

import "testing"

func TestLooksSecret(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"kJ8s9dF2hQ7wX4zR1vB6nM3pL0tY5uE8", true},
		{"ghp_9fK2mQx7LwP4vR8sT1zY6bN3cD5eH0jA", true},
		{"3f2a9c1b7e6d5a4f8b0c2e1d9a7f6b5c", true},
		{"apiextensions.k8s.io/v1", false},
		{"CustomResourceDefinition", false},
		{"PersistentVolumeClaim", false},
		{"model-loader-29d1f7a8", false},
		{"registry.cn-hangzhou.aliyuncs.com/build-test/style-transfer-tf:g78d00b1c-aliyun", false},
		{"https://eiam-api-cn-hangzhou.aliyuncs.com/v2/idaas_dev/app_dev/oidc", false},
		{"app_prod_style_transfer", false},
		{"${OIDC_CLIENT_SECRET}", false},
		{"hunter2", false},
	} {
		if got := LooksSecret(tc.s); got != tc.want {
			t.Errorf("LooksSecret(%q) = %v (entropy %.2f), want %v", tc.s, got, Entropy(tc.s), tc.want)
		}
	}
}
