package promote_test

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// fleetSpec sizes a generated fleet: Charts repositories named fleetRepoPath/chart-NNN,
// each tagged TagsPerChart times and referenced by FilesPerChart Application files.
type fleetSpec struct {
	Charts        int
	FilesPerChart int
	TagsPerChart  int
	// UpToDateEvery makes every UpToDateEvery-th chart one whose sources are all up to
	// date, so that the plan must not fetch a single manifest of it; 0 means none.
	UpToDateEvery int
}

// fleetRepoPath is the registry path under which every fleet chart lives.
const fleetRepoPath = "fleet"

// extraTags are the tags every fleet repository has besides its releases: moving tags and
// prereleases, which no constraint of the fleet may select.
var extraTags = []string{"latest", "stable", "2.0.0-rc.1", "1.9.0-beta.1"}

// fleet is a generated fleet on disk and what a correct plan of it must contain.
type fleet struct {
	spec fleetSpec
	host string
	dir  string
	// tags is every chart's tag list; releases are its semver tags, oldest first.
	tags, releases []string
	// newest is the newest release; newestIn["1.5"] the newest release of 1.5.x.
	newest   string
	newestIn map[string]string
	// proposed[chart] is the set of tags a plan proposes for chart (host/fleet/chart-NNN).
	proposed map[string]map[string]bool
	// changes counts the sources a plan moves; files counts the Application files.
	changes, files int
	pools          map[string][]string // olderIn's candidates, by prefix and newest
}

// chart returns the normalised reference of the i-th chart.
func (f *fleet) chart(i int) string { return f.host + "/" + fleetRepoPath + "/" + chartName(i) }

func chartName(i int) string { return fmt.Sprintf("chart-%03d", i) }

// upToDate reports whether chart i is one whose sources are all current.
func (f *fleet) upToDate(i int) bool {
	return f.spec.UpToDateEvery > 0 && i%f.spec.UpToDateEvery == f.spec.UpToDateEvery-1
}

// fleetTags returns n tags: releases 1.0.0, 1.0.1, … spread over ten minors, oldest first,
// then extraTags.
func fleetTags(n int) (tags, releases []string) {
	count := n - len(extraTags)
	if count < 10 {
		panic("fleetTags: need at least 14 tags")
	}
	perMinor := (n + 9) / 10
	for minor := 0; len(releases) < count; minor++ {
		for patch := 0; patch < perMinor && len(releases) < count; patch++ {
			releases = append(releases, fmt.Sprintf("1.%d.%d", minor, patch))
		}
	}
	tags = append(append([]string{}, releases...), extraTags...)
	return tags, releases
}

// role is what one Application does to its chart's resolution.
type role int

const (
	staleAny      role = iota // no constraint, pinned at an older release: moves to the newest
	staleMinor5               // annotation ~1.5, pinned at an older 1.5.x: moves to the newest 1.5.x
	staleMajor                // annotation ~1.x, pinned at an older release: moves to the newest
	currentAny                // no constraint, pinned at the newest: up to date
	currentMinor3             // comment constraint ~1.3, pinned at the newest 1.3.x: up to date
	currentMajor              // annotation ~1.x, pinned at the newest: up to date
)

// rolePattern assigns roles to a chart's files in turn: 17 of 20 move, and the first six
// cover every role so that small fleets exercise them all.
var rolePattern = []role{
	staleAny, staleMinor5, staleMajor, currentAny, currentMinor3, currentMajor,
	staleAny, staleMajor, staleAny, staleAny, staleMinor5, staleAny, staleMajor, staleAny,
	staleAny, staleAny, staleMajor, staleAny, staleAny, staleAny,
}

var (
	teams = []string{"payments", "search", "checkout", "identity", "platform", "data", "growth", "edge"}
	envs  = []string{"dev", "staging", "prod-eu", "prod-us"}
)

// appData feeds applicationTemplate.
type appData struct {
	Name, Team, Env, Chart, Host string
	Form                         int // 0 Helm-OCI, 1 native OCI, 2 Helm-OCI among multiple sources
	Revision, RevisionQuote      string
	Annotation, Comment          string
	Wave, Replicas               int
}

// applicationTemplate is a production-looking Application of 35-41 lines: labels,
// annotations, finalizers, a Helm values block, destination and sync policy.
var applicationTemplate = template.Must(template.New("app").Parse(`# {{.Name}}: owned by team {{.Team}}; targetRevision is promoted by chart-promoter.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{.Name}}
  namespace: argocd
  labels:
    app.kubernetes.io/part-of: {{.Team}}
    environment: {{.Env}}
  annotations:
{{- if .Annotation}}
    chart-promoter.io/constraint: "{{.Annotation}}"
{{- end}}
    argocd.argoproj.io/sync-wave: "{{.Wave}}"
    notifications.argoproj.io/subscribe.on-sync-failed.slack: {{.Team}}-alerts
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: {{.Team}}
{{- if eq .Form 2}}
  sources:
    - repoURL: https://git.example.com/{{.Team}}/deploy-values.git
      targetRevision: main
      ref: values
    - repoURL: {{.Host}}/fleet
      chart: {{.Chart}}
      targetRevision: {{.RevisionQuote}}{{.Revision}}{{.RevisionQuote}}{{if .Comment}} # chart-promoter: constraint={{.Comment}}{{end}}
      helm:
        releaseName: {{.Chart}}
        valueFiles:
          - $values/{{.Env}}/{{.Chart}}.yaml
{{- else}}
  source:
{{- if eq .Form 1}}
    repoURL: oci://{{.Host}}/fleet/{{.Chart}}
    path: .
{{- else}}
    repoURL: {{.Host}}/fleet
    chart: {{.Chart}}
{{- end}}
    targetRevision: {{.RevisionQuote}}{{.Revision}}{{.RevisionQuote}}{{if .Comment}} # chart-promoter: constraint={{.Comment}}{{end}}
    helm:
      releaseName: {{.Chart}}
      valuesObject:
        replicaCount: {{.Replicas}}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        ingress:
          enabled: true
          hosts:
            - {{.Chart}}.{{.Env}}.example.com
{{- end}}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{.Team}}-{{.Env}}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true, ServerSideApply=true]
    retry:
      limit: 5
      backoff: {duration: 5s, factor: 2, maxDuration: 3m}
`))

// newFleet computes the fleet's tags and expectations for host; writeFiles puts it on disk.
func newFleet(spec fleetSpec, host string) *fleet {
	f := &fleet{spec: spec, host: host, newestIn: map[string]string{}, proposed: map[string]map[string]bool{}, pools: map[string][]string{}}
	f.tags, f.releases = fleetTags(spec.TagsPerChart)
	f.newest = f.releases[len(f.releases)-1]
	for _, r := range f.releases {
		f.newestIn[r[:strings.LastIndex(r, ".")]] = r // oldest first: the last one wins
	}
	return f
}

// olderIn picks, deterministically from seed, a release before newest among those with prefix.
func (f *fleet) olderIn(prefix, newest string, seed int) string {
	key := prefix + " " + newest
	pool, ok := f.pools[key]
	if !ok {
		for _, r := range f.releases {
			if r != newest && strings.HasPrefix(r, prefix) {
				pool = append(pool, r)
			}
		}
		f.pools[key] = pool
	}
	return pool[seed%len(pool)]
}

// writeFiles writes every Application under dir, spread over clusters/ENV/TEAM/ with a
// kustomization.yaml per directory (YAML that is not Argo CD's, as real repositories have).
func (f *fleet) writeFiles(tb testing.TB, dir string) {
	tb.Helper()
	f.dir = dir
	kustomizations := map[string][]string{}
	var buf strings.Builder
	for c := 0; c < f.spec.Charts; c++ {
		chart, ref := chartName(c), f.chart(c)
		for i := 0; i < f.spec.FilesPerChart; i++ {
			seed := c*7919 + i*104729
			d := appData{
				Name: fmt.Sprintf("%s-%02d", chart, i), Team: teams[c%len(teams)], Env: envs[i%len(envs)],
				Chart: chart, Host: f.host, Form: (c + i) % 3, Wave: i % 5, Replicas: 1 + i%3,
			}
			if i%4 == 1 {
				d.RevisionQuote = `"`
			}
			r := rolePattern[i%len(rolePattern)]
			if f.upToDate(c) {
				switch r {
				case staleAny:
					r = currentAny
				case staleMajor:
					r = currentMajor
				}
			}
			moves := true
			switch r {
			case staleAny:
				d.Revision = f.olderIn("1.", f.newest, seed)
			case staleMajor:
				d.Annotation, d.Revision = "~1.x", f.olderIn("1.", f.newest, seed)
			case staleMinor5:
				d.Annotation, d.Revision = "~1.5", f.olderIn("1.5.", f.newestIn["1.5"], seed)
				if f.upToDate(c) {
					d.Revision, moves = f.newestIn["1.5"], false
				}
			case currentAny:
				d.Revision, moves = f.newest, false
			case currentMajor:
				d.Annotation, d.Revision, moves = "~1.x", f.newest, false
			case currentMinor3:
				d.Comment, d.Revision, moves = "~1.3", f.newestIn["1.3"], false
			}
			if moves {
				to := f.newest
				if r == staleMinor5 {
					to = f.newestIn["1.5"]
				}
				if f.proposed[ref] == nil {
					f.proposed[ref] = map[string]bool{}
				}
				f.proposed[ref][to] = true
				f.changes++
			}

			buf.Reset()
			if err := applicationTemplate.Execute(&buf, d); err != nil {
				tb.Fatalf("fleet: %v", err)
			}
			rel := path.Join("clusters", d.Env, d.Team, d.Name+".yaml")
			if i%10 == 9 {
				rel = path.Join("clusters", d.Env, d.Team, "legacy", d.Name+".yml")
			}
			writeFile(tb, dir, rel, buf.String())
			kustomizations[path.Dir(rel)] = append(kustomizations[path.Dir(rel)], path.Base(rel))
			f.files++
		}
	}
	for d, names := range kustomizations {
		var k strings.Builder
		k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
		for _, n := range names {
			k.WriteString("  - " + n + "\n")
		}
		writeFile(tb, dir, path.Join(d, "kustomization.yaml"), k.String())
	}
}

func writeFile(tb testing.TB, dir, rel, content string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatalf("fleet: %v", err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatalf("fleet: %v", err)
	}
}

// pushFleet pushes every chart once with Helm's client, then tags it with the fleet's
// tags straight through the registry's storage.
func (f *fleet) pushFleet(tb testing.TB, reg *testenv.Registry) {
	tb.Helper()
	for c := 0; c < f.spec.Charts; c++ {
		dgst := reg.PushChart(tb, fleetRepoPath, chartName(c), f.releases[0], testenv.WithAppVersion("2.4.1"))
		reg.TagMany(tb, fleetRepoPath+"/"+chartName(c), dgst, f.tags)
	}
}

// startFleet starts a registry, pushes the fleet's charts and writes its files.
func startFleet(tb testing.TB, spec fleetSpec) (*testenv.Registry, *fleet) {
	tb.Helper()
	reg := testenv.StartRegistry(tb)
	f := newFleet(spec, reg.Host)
	f.pushFleet(tb, reg)
	f.writeFiles(tb, tb.TempDir())
	reg.Requests.Reset()
	return reg, f
}

// requestKind classifies a registry request path of the distribution API.
type requestKind int

const (
	tagList requestKind = iota
	manifestReq
	blobReq
	otherReq
)

// classify splits "/v2/<repo>/<kind>/<ref>" into the kind, the repository and the reference.
func classify(p string) (kind requestKind, repo, ref string) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return otherReq, "", ""
	}
	if repo, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		return tagList, repo, ""
	}
	if i := strings.LastIndex(rest, "/manifests/"); i >= 0 {
		return manifestReq, rest[:i], rest[i+len("/manifests/"):]
	}
	if i := strings.LastIndex(rest, "/blobs/"); i >= 0 {
		return blobReq, rest[:i], rest[i+len("/blobs/"):]
	}
	return otherReq, "", ""
}

// requestCounts is a RequestLog summed by kind.
type requestCounts struct {
	total, tagLists, manifests, blobs, other int
}

func (n requestCounts) add(m requestCounts) requestCounts {
	return requestCounts{n.total + m.total, n.tagLists + m.tagLists, n.manifests + m.manifests, n.blobs + m.blobs, n.other + m.other}
}

func countRequests(log *testenv.RequestLog) requestCounts {
	var n requestCounts
	for _, line := range log.All() {
		n.total++
		_, p, _ := strings.Cut(line, " ")
		p, _, _ = strings.Cut(p, "?")
		switch k, _, _ := classify(p); k {
		case tagList:
			n.tagLists++
		case manifestReq:
			n.manifests++
		case blobReq:
			n.blobs++
		default:
			n.other++
		}
	}
	return n
}

// floor is the fewest requests a plan of the fleet can make: one tag list per repository
// and one manifest per proposed version.
func (f *fleet) floor() (tagLists, manifests int) {
	for _, tags := range f.proposed {
		manifests += len(tags)
	}
	return f.spec.Charts, manifests
}
