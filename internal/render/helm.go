package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// HelmVersion is the Helm major whose library renders charts. Argo CD 3.5 and later run
// Helm 4 (3.5 ships 4.2.1, 3.6 ships 4.2.4); Argo CD 3.4 and earlier ran Helm 3.19.
const HelmVersion = "v4"

// Chart is one chart version loaded from its archive.
type Chart struct {
	// Version is the chart version as Chart.yaml states it.
	Version string
	// archive is kept because rendering changes a loaded chart (ProcessDependencies drops
	// the subcharts an Application's values disable): each render loads its own copy.
	archive []byte
	chart   *chart.Chart
	// files are the archive's files by path relative to the chart's root, where value
	// files and file parameters that are not $ref paths are read.
	files map[string][]byte
}

// LoadChart reads a chart archive (a .tgz, as helm pull stores it) with Helm's loader,
// which refuses archives that unpack to more than 100 MiB.
func LoadChart(archive []byte) (*Chart, error) {
	ch, err := load(archive)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(ch.Raw))
	for _, f := range ch.Raw {
		files[f.Name] = f.Data
	}
	return &Chart{Version: ch.Metadata.Version, archive: archive, chart: ch, files: files}, nil
}

func load(archive []byte) (*chart.Chart, error) {
	c, err := loader.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	ch, ok := c.(*chart.Chart)
	if !ok {
		return nil, errors.New("load chart: chart apiVersion v3 is not rendered yet: only v1 and v2 charts are")
	}
	return ch, nil
}

// DefaultValues returns the chart's own values.yaml as written.
func (c *Chart) DefaultValues() []byte { return c.files[chartutil.ValuesfileName] }

// usesLookup reports whether any template (of the chart or a subchart) calls lookup,
// which answers nothing without a cluster.
func (c *Chart) usesLookup() bool {
	var walk func(*chart.Chart) bool
	walk = func(ch *chart.Chart) bool {
		for _, t := range ch.Templates {
			if bytes.Contains(t.Data, []byte("lookup")) {
				return true
			}
		}
		return slices.ContainsFunc(ch.Dependencies(), walk)
	}
	return walk(c.chart)
}

// Cluster is what the tool assumes of the destination cluster, which it never contacts:
// Argo CD passes the cluster's own version and API versions to Helm.
type Cluster struct {
	// KubeVersion is used where the Application sets no helm.kubeVersion; "" keeps Helm's
	// default.
	KubeVersion string
	// APIVersions are used where the Application sets no helm.apiVersions; they are added
	// to Helm's built-in list.
	APIVersions []string
}

// template renders ch with app's settings and merged values the way Argo CD's repo server
// runs `helm template` (client-only: no cluster, lookup answers nothing): the output is
// what that command prints.
func template(ctx context.Context, c *Chart, app *Application, vals map[string]any, cluster Cluster) (string, error) {
	ch, err := load(c.archive)
	if err != nil {
		return "", err
	}
	h := app.Helm
	name := h.ReleaseName
	if name == "" {
		name = app.Name
	}
	namespace := h.Namespace
	if namespace == "" {
		namespace = app.Namespace
	}
	if namespace == "" {
		namespace = "default" // helm's own default without a kubeconfig context
	}
	kubeVersion := h.KubeVersion
	if kubeVersion == "" {
		kubeVersion = cluster.KubeVersion
	}
	apiVersions := h.APIVersions
	if len(apiVersions) == 0 {
		apiVersions = cluster.APIVersions
	}

	switch ch.Metadata.Type {
	case "", "application":
	default:
		return "", fmt.Errorf("%s charts are not installable", ch.Metadata.Type)
	}
	if err := checkDependencies(ch); err != nil {
		return "", err
	}
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return "", fmt.Errorf("release name %q: %w", name, err)
	}
	caps := common.DefaultCapabilities.Copy()
	if kubeVersion != "" {
		// Argo CD normalises the version first ("v1.29.3-gke.1" becomes "1.29.3").
		generic, err := version.KubeVersion(kubeVersion)
		if err != nil {
			return "", fmt.Errorf("kubeVersion: %w", err)
		}
		kv, err := common.ParseKubeVersion(generic)
		if err != nil {
			return "", fmt.Errorf("kubeVersion %q: %w", kubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, apiVersions...)

	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return "", fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	options := common.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := util.ToRenderValuesWithSchemaValidation(ch, vals, options, caps, h.SkipSchemaValidation)
	if err != nil {
		return "", err
	}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return "", fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", ch.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	var e engine.Engine
	files, err := e.RenderWithContext(ctx, ch, top)
	if err != nil {
		return "", err
	}
	for k := range files {
		if strings.HasSuffix(k, "NOTES.txt") {
			delete(files, k) // printed after an install, never applied
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return "", err
	}

	var b bytes.Buffer
	if !h.SkipCrds { // Argo CD passes --include-crds unless skipCrds
		for _, crd := range ch.CRDObjects() {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", crd.Filename, crd.File.Data)
		}
	}
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	var out bytes.Buffer
	out.WriteString(strings.TrimSpace(b.String()) + "\n")
	for _, hook := range hooks {
		if h.SkipTests && slices.Contains(hook.Events, release.HookTest) {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", hook.Path, hook.Manifest)
	}
	return out.String(), nil
}

// checkDependencies refuses a chart whose Chart.yaml names a dependency its charts/
// directory lacks, as helm template does without --dependency-update.
func checkDependencies(ch *chart.Chart) error {
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !slices.ContainsFunc(ch.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))
	}
	return nil
}
