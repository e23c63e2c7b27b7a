package promote

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// group is the changes that share one branch, one commit and one pull request.
type group struct {
	key     string // what the changes have in common: a chart, an Application, or "all"
	name    string // readable name for titles and logs
	branch  string
	changes []Change
	// major says the group holds the updates to a new major version that separateMajor
	// keeps apart.
	major bool
	// waiting are the versions later stages wait for of the group's Applications, as
	// the pull request says them ("production gets 1.4.2 at …").
	waiting []string
	// display turns a file's path in the plan into the one reviewers see in the
	// repository (the plan may have scanned a subdirectory); nil leaves it as is.
	display func(string) string
}

// path is where a reviewer finds file in the repository.
func (g *group) path(file string) string {
	if g.display == nil {
		return file
	}
	return g.display(file)
}

// The values of Change.Update.
const (
	// UpdateMajor is an update to a new major version, on its own branch.
	UpdateMajor = "major"
	// UpdateMinor is the newest version of the current major, beside an UpdateMajor.
	UpdateMinor = "minor"
)

// DefaultBranchPrefix starts every promotion branch.
const DefaultBranchPrefix = "chart-promoter/"

// groupChanges splits changes into groups, in a stable order.
//
// Branch names are deterministic so a later run finds the same branch and PR again:
//
//	group-by chart:        chart-promoter/chart/ghcr.io-acme-charts-webapp
//	group-by application:  chart-promoter/app/argocd/webapp-production
//	                       chart-promoter/kustomization/envs-prod      (its directory)
//	                       chart-promoter/helm-chart/charts-platform   (its directory)
//	group-by all:          chart-promoter/all
//
// Each grouping has its own namespace, so switching grouping never collides with the
// refs of another (git cannot hold both "a/b" and "a/b/c"). An update to a new major
// version that a rule's separateMajor splits off goes to the same branch under major/
// (chart-promoter/major/chart/ghcr.io-acme-charts-webapp), so the newest minor or patch
// and the major can be merged one at a time.
func groupChanges(changes []Change, by Grouping, prefix string) []*group {
	if prefix == "" {
		prefix = DefaultBranchPrefix
	}
	byKey := map[string]*group{}
	var order []string
	for _, c := range changes {
		var key, name, branch string
		switch {
		case by == GroupByAll:
			key, name, branch = "all", "all charts", prefix+"all"
		case by == GroupByApplication && c.Kind == manifest.KindKustomization:
			// A kustomization is named by its directory; its own namespace of branches.
			key, name, branch = "kustomization:"+c.Application, c.Owner, prefix+"kustomization/"+refSafe(strings.ReplaceAll(c.Application, "/", "-"))
		case by == GroupByApplication && c.Kind == manifest.KindChart:
			// A Helm chart is named by its name, and grouped by its directory, which is unique.
			dir := path.Dir(c.File)
			key, name, branch = "helm-chart:"+dir, c.Owner, prefix+"helm-chart/"+refSafe(strings.ReplaceAll(dir, "/", "-"))
		case by == GroupByApplication:
			app := c.Application
			if c.Namespace != "" {
				app = c.Namespace + "/" + c.Application
			}
			// Namespace and name each get a path segment, so "a"/"b-c" and "a-b"/"c"
			// never share a branch; "_" (which Kubernetes names cannot hold) stands
			// for no namespace.
			ns := c.Namespace
			if ns == "" {
				ns = "_"
			}
			key, name, branch = "app:"+app, c.Application, prefix+"app/"+refSafe(ns)+"/"+refSafe(c.Application)
		default:
			key, name, branch = "chart:"+c.Chart, chartName(c.Chart), prefix+"chart/"+refSafe(strings.ReplaceAll(c.Chart, "/", "-"))
		}
		major := c.Update == UpdateMajor
		if major {
			key, name, branch = "major:"+key, name+" (major)", prefix+"major/"+strings.TrimPrefix(branch, prefix)
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key, name: name, branch: branch, major: major}
			byKey[key] = g
			order = append(order, key)
		}
		g.changes = append(g.changes, c)
	}
	sort.Strings(order)
	out := make([]*group, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	return out
}

// chartName is the last path segment of a chart repository: ghcr.io/acme/charts/webapp → webapp.
func chartName(chart string) string { return path.Base(chart) }

// refSafe keeps what git allows in a ref name component and replaces the rest.
func refSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), ".-")
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	out = strings.TrimSuffix(out, ".lock")
	if out == "" {
		out = "unnamed"
	}
	return out
}

// fingerprint identifies what a group proposes: the same edits give the same fingerprint,
// so a re-run can tell that the open PR already says exactly this.
func (g *group) fingerprint() string {
	lines := make([]string, 0, len(g.changes))
	for _, c := range g.changes {
		lines = append(lines, fmt.Sprintf("%s\x00%s\x00%s\x00%s", c.File, c.Path, c.Chart, c.To))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:8])
}

// targets lists the distinct new versions of a group's changes per chart name, for titles.
func (g *group) targets() (charts []string, versions map[string][]string) {
	versions = map[string][]string{}
	for _, c := range g.changes {
		name := chartName(c.Chart)
		if _, ok := versions[name]; !ok {
			charts = append(charts, name)
		}
		if !slices.Contains(versions[name], c.toVersion()) {
			versions[name] = append(versions[name], c.toVersion())
		}
	}
	sort.Strings(charts)
	return charts, versions
}
