package config

import "time"

// Render is the file's render: block: how the reviewer's view (each change's chart
// rendered at both versions with its Application's Helm settings) is made. A nil field
// is one the file leaves to the flags, the Action's inputs and the defaults; a flag or
// input given explicitly wins over the file.
type Render struct {
	// Pos is where the block starts.
	Pos Pos
	// Enabled turns rendering on or off (--render, the render input).
	Enabled *Setting[bool]
	// KubeVersion is the Kubernetes version charts are rendered for where an Application
	// sets no helm.kubeVersion (--kube-version); checked as rendering reads it.
	KubeVersion *Setting[string]
	// APIVersions are the API versions the clusters serve, where an Application sets no
	// helm.apiVersions (--api-versions).
	APIVersions *Setting[[]string]
	// Timeout bounds rendering both versions of one Application (--render-timeout).
	Timeout *Setting[time.Duration]
	// MaxBytes bounds the rendered output of one version that is compared
	// (--render-max-bytes).
	MaxBytes *Setting[int]
}

// Tuned reports whether the block sets anything besides enabled: settings that only
// matter while rendering is on.
func (r *Render) Tuned() bool {
	return r != nil && (r.KubeVersion != nil || r.APIVersions != nil || r.Timeout != nil || r.MaxBytes != nil)
}
