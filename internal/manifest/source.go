// Package manifest finds the OCI Helm chart sources in a directory of YAML files (Argo CD
// Applications and ApplicationSets, kustomizations' helmCharts, Helm charts'
// dependencies) and rewrites their versions byte-minimally.
//
// Discovery reads YAML as a node tree (go.yaml.in/yaml/v3) to know where every value
// sits; the rewrite then replaces exactly the bytes of one scalar and proves, by parsing
// the result again, that nothing else in the document changed.
package manifest

import (
	"strconv"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Form is how an Argo CD source names its OCI chart.
type Form int

const (
	// HelmOCI is repoURL "host/path" (no scheme) plus chart "name": Argo CD runs Helm
	// against oci://host/path/name with --version targetRevision.
	HelmOCI Form = iota
	// NativeOCI is repoURL "oci://host/path/name" (Argo CD 3.1+): the artifact is the
	// repoURL and targetRevision is resolved as a tag. A chart field that repeats the
	// repoURL's last segment changes nothing; any other chart with an oci:// repoURL is a
	// source Argo CD can never sync, and a problem.
	NativeOCI
	// Kustomize is a kustomization's helmCharts entry with repo "oci://host/path" and
	// name "name": kustomize runs helm pull oci://host/path/name --version version.
	Kustomize
	// HelmDependency is a dependency in a Helm chart's Chart.yaml with repository
	// "oci://host/path" and name "name", locked in Chart.lock.
	HelmDependency
)

// String names the form for output.
func (f Form) String() string {
	return [...]string{"helm-oci", "oci", "kustomize", "helm-dependency"}[f]
}

// Spelling is how a version of this form is written. Everything Helm reads takes Helm's
// version ("2.1.0+b.6": Helm maps it to the tag itself); Argo CD resolves a native OCI
// source's targetRevision as a tag, which cannot hold '+' ("2.1.0_b.6").
func (f Form) Spelling() version.Spelling {
	if f == NativeOCI {
		return version.RawTag
	}
	return version.HelmVersion
}

// Field names the field that holds the version, as reasons name it.
func (f Form) Field() string {
	if f == Kustomize || f == HelmDependency {
		return "version"
	}
	return "targetRevision"
}

// Kinds of Argo CD resources the tool reads.
const (
	KindApplication    = "Application"
	KindApplicationSet = "ApplicationSet"
	// KindKustomization is a kustomization file's helmCharts entry; its Application is
	// the kustomization's directory.
	KindKustomization = "Kustomization"
	// KindChart is a dependency of a Helm chart; its Application is the chart's name.
	KindChart = "Chart"
)

// Source is one OCI chart source of an Application, or of the Applications an
// ApplicationSet generates, with the exact place of its targetRevision.
type Source struct {
	// File is the path relative to the scanned directory, with forward slashes.
	File string
	// Kind is Application or ApplicationSet.
	Kind string
	// Application is the Application's name (for an ApplicationSet, the generated name
	// when it can be rendered from list-generator data, else the ApplicationSet's name).
	Application string
	// ApplicationSet is the generating ApplicationSet's name, "" for an Application.
	ApplicationSet string
	// Namespace is metadata.namespace of the Application or ApplicationSet.
	Namespace string
	// Destination describes spec.destination ("in-cluster/ns", "https://…/ns").
	Destination string
	// Chart is the normalised chart repository: host[:port]/path/name, no scheme.
	Chart string
	// RepoURL and ChartName are the repoURL and chart fields as written (after templating).
	RepoURL, ChartName string
	// Form says how the source names its chart; it decides how versions are spelled.
	Form Form
	// Revision is the targetRevision value as it stands.
	Revision string
	// Constraint is the policy the manifest sets for this source, "" when it sets none.
	Constraint string
	// ConstraintOrigin says where Constraint came from (for reasons and PR bodies).
	ConstraintOrigin string
	// Ignore is set when the manifest's policy asks the tool to leave the source alone.
	Ignore bool
	// IgnoreOrigin says where the manifest decided Ignore; it is also set, with Ignore
	// false, by an annotation chart-promoter.io/ignore: "false", which wins over a config
	// rule's ignore. "" when the manifest says nothing.
	IgnoreOrigin string
	// Warnings are things a reviewer should know, such as an ignored chart field.
	Warnings []string
	// Location is where targetRevision's value is, precisely enough to edit it.
	Location Location
	// SourcePath is the YAML path of the source mapping ("spec.sources[1]"), and
	// ElementPath that of the list-generator element the Application is generated from
	// ("" for none): where the source's Helm settings are read for rendering.
	SourcePath, ElementPath string
	// Dependency is set for a dependency of a Helm chart: its Chart.lock entry.
	Dependency *Dependency
	// DigestVersion is set when Revision is a digest the tool pinned: the version the
	// digest is of, from the trailing "# chart-promoter: version=1.4.2".
	DigestVersion string
}

// Owner names what the source belongs to, for reports and pull requests: "Application
// webapp", "kustomization envs/prod", "chart platform".
func (s Source) Owner() string {
	switch s.Kind {
	case KindKustomization:
		return "kustomization " + s.Application
	case KindChart:
		return "chart " + s.Application
	case "":
		return s.Application
	}
	return s.Kind + " " + s.Application
}

// Dependency is what a Helm chart's dependency adds to its source: the Chart.lock entry
// that records the version Helm builds with.
type Dependency struct {
	// Name and Alias are the dependency's name and alias in Chart.yaml.
	Name, Alias string
	// Range is Chart.yaml's version when it is a range: then Chart.yaml is left as it is
	// and only Chart.lock moves, within the range; the source's Revision is the locked
	// version, at LockLocation, and its Location is the range's. "" when Chart.yaml pins
	// a version.
	Range string
	// LockFile is Chart.lock's slash path; "" when the chart has none.
	LockFile string
	// LockVersion is the version the lock records, at LockLocation in LockFile.
	LockVersion  string
	LockLocation Location
	// Archive is the vendored charts/NAME-VERSION.tgz of the current version, "" when
	// there is none: it goes stale when the version moves.
	Archive string
}

// Location is the position of a scalar value in a file.
type Location struct {
	// Line and Column are 1-based, as editors show them; Column counts characters.
	Line, Column int
	// Path is the field's path in the document, e.g. "spec.sources[1].targetRevision".
	Path string
	// Offset and Length give the scalar's bytes in the file, quotes included.
	Offset, Length int
	// Quote is the quote character around the value ('\'', '"') or 0 when plain.
	Quote byte
	// Problem is set when the value cannot be edited safely, and says why.
	Problem string
}

// PathSource is an Application's Git source with a path: what deploys a directory of the
// repository, such as a kustomization's.
type PathSource struct {
	File, Application, RepoURL, Path string
	Line                             int
}

// Skip is something discovery passed over on purpose, with the reason.
type Skip struct {
	File        string
	Line        int
	Application string
	Chart       string
	Reason      string
}

// Problem is a file that could not be read as intended: an error for the run.
type Problem struct {
	File string
	Line int
	// Chart is the normalised chart repository the problem is about, "" when it is about
	// the file or no chart could be named; a run about other charts leaves it out.
	Chart   string
	Message string
}

// Error formats the problem as "file:line: message".
func (p Problem) Error() string {
	if p.Line > 0 {
		return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Message
	}
	return p.File + ": " + p.Message
}
