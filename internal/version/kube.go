package version

import (
	"fmt"
	"strings"

	k8sversion "k8s.io/apimachinery/pkg/util/version"
)

// KubeVersion reads a Kubernetes version as Argo CD passes it to Helm ("1.31", "v1.31.2",
// "v1.29.3-gke.1") and returns it normalised the way Argo CD does before rendering
// ("1.29.3"): Helm's capabilities take only major, minor and patch. The check is the
// one rendering applies, so that a --kube-version, a kube-version input or a config
// file's render.kubeVersion that would fail every render is refused up front.
func KubeVersion(s string) (string, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return "", fmt.Errorf("empty Kubernetes version: write e.g. 1.31 or v1.31.2")
	}
	v, err := k8sversion.ParseGeneric(text)
	if err != nil {
		return "", fmt.Errorf("%q is not a Kubernetes version: write major.minor[.patch], e.g. 1.31 or v1.31.2", s)
	}
	return v.String(), nil
}
