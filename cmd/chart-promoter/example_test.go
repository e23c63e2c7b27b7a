package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// The example fleet the README's quickstart runs on, and the registry it resolves from:
// one OCI image layout per repository, read through --mirror ghcr.io=oci-layout:DIR.
// Paths are relative to this package, where `go test` runs.
const (
	exampleFleetDir    = "../../testdata/example"
	exampleRegistryDir = "../../testdata/registry"
	// exampleHost is the registry the fleet's manifests name; the mirror maps it to
	// exampleRegistryDir, so ghcr.io/acme/charts/webapp is exampleRegistryDir/acme/charts/webapp.
	exampleHost = "ghcr.io"
)

var updateExample = flag.Bool("update-example", false,
	"rebuild testdata/registry: push exampleRepositories with Helm to an in-process registry and copy them out as OCI layouts")

// exampleArtifact is one tag of an example repository: a Helm chart, or a container image
// pushed to the chart's repository (which the tool must pass over).
type exampleArtifact struct {
	version    string // the chart version; Helm stores '+' as '_' in the tag
	appVersion string
	changes    string // the artifacthub.io/changes annotation, "" for none
	image      bool   // a container image tagged version, not a chart
}

// tag is the registry tag the artifact is stored under.
func (a exampleArtifact) tag() string { return strings.ReplaceAll(a.version, "+", "_") }

// exampleRepository is one chart repository of the example registry.
type exampleRepository struct {
	path        string // under exampleHost, e.g. "acme/charts/webapp"
	description string
	artifacts   []exampleArtifact
}

func (r exampleRepository) name() string { return path.Base(r.path) }

// exampleRepositories is what testdata/registry holds. Change it, then rebuild the layouts with
//
//	go test ./cmd/chart-promoter -run TestExampleRegistryIsCurrent -update-example
var exampleRepositories = []exampleRepository{
	{
		path:        "acme/charts/webapp",
		description: "The Acme storefront: web frontend and its ingress.",
		artifacts: []exampleArtifact{
			{version: "1.2.3", appVersion: "2024.06.1"},
			{version: "1.2.4", appVersion: "2024.06.2", changes: `- kind: fixed
  description: Readiness probe waits for the product cache to warm up
`},
			{version: "1.2.5", appVersion: "2024.06.3", changes: `- kind: fixed
  description: Ingress keeps the client IP behind the load balancer
- kind: security
  description: Containers run as a non-root user by default
`},
			{version: "1.3.0", appVersion: "2024.07.0", changes: `- kind: added
  description: HorizontalPodAutoscaler, off by default
- kind: changed
  description: Default resource requests raised to 200m CPU and 256Mi memory
`},
			{version: "2.0.0-rc.1", appVersion: "2024.09.0-rc.1", changes: `- kind: removed
  description: The legacyIngress values key (use ingress)
`},
			// A CI job once pushed the storefront's container image to the chart's repository.
			// Its tag looks like the newest release; it must never be promoted.
			{version: "1.4.0", image: true},
		},
	},
	{
		path:        "acme/charts/api",
		description: "The Acme public API.",
		artifacts: []exampleArtifact{
			{version: "2.1.0+b.5", appVersion: "3.8.2"},
			{version: "2.1.0+b.6", appVersion: "3.8.2", changes: `- kind: security
  description: Rebuilt on a patched base image
`},
			{version: "2.2.0", appVersion: "3.9.0", changes: `- kind: added
  description: gRPC port on the Service
`},
		},
	},
	{
		path:        "acme/charts/worker",
		description: "Acme background job workers.",
		artifacts: []exampleArtifact{
			{version: "0.8.0", appVersion: "1.14.0"},
			{version: "0.8.1", appVersion: "1.14.1", changes: `- kind: fixed
  description: Graceful shutdown waits for running jobs
`},
			{version: "0.9.0", appVersion: "1.15.0", changes: `- kind: added
  description: KEDA ScaledObject for queue-based autoscaling
`},
			{version: "0.9.1", appVersion: "1.15.1", changes: `- kind: fixed
  description: ScaledObject respects minReplicaCount
`},
		},
	},
}

// annotations returns the chart annotations of a, nil when it has none.
func (a exampleArtifact) annotations() map[string]string {
	if a.changes == "" {
		return nil
	}
	return map[string]string{"artifacthub.io/changes": a.changes}
}

// TestExampleRegistryIsCurrent checks that testdata/registry holds exactly
// exampleRepositories, as OCI image layouts the oci-layout mirror can read. With
// -update-example it first rebuilds them.
func TestExampleRegistryIsCurrent(t *testing.T) {
	if *updateExample {
		rebuildExampleRegistry(t)
	}
	ctx := context.Background()
	rebuild := "rebuild it with: go test ./cmd/chart-promoter -run TestExampleRegistryIsCurrent -update-example"

	var want []string
	for _, r := range exampleRepositories {
		want = append(want, r.path)
	}
	if got := exampleLayoutDirs(t); !slices.Equal(got, want) {
		t.Errorf("%s holds layouts %q, want %q; %s", exampleRegistryDir, got, want, rebuild)
	}
	if _, err := os.Stat(filepath.Join(exampleRegistryDir, "README.md")); err != nil {
		t.Errorf("%s should explain itself in a README.md: %v", exampleRegistryDir, err)
	}

	for _, r := range exampleRepositories {
		t.Run(r.name(), func(t *testing.T) {
			dir := filepath.Join(exampleRegistryDir, filepath.FromSlash(r.path))
			if _, err := os.Stat(filepath.Join(dir, "ingest")); err == nil {
				t.Errorf("%s has an ingest directory, oras's scratch space: delete it", dir)
			}
			store, err := oci.NewFromFS(ctx, os.DirFS(dir))
			if err != nil {
				t.Fatalf("open %s: %v; %s", dir, err, rebuild)
			}
			var tags []string
			if err := store.Tags(ctx, "", func(page []string) error {
				tags = append(tags, page...)
				return nil
			}); err != nil {
				t.Fatalf("list tags of %s: %v", dir, err)
			}
			var wantTags []string
			for _, a := range r.artifacts {
				wantTags = append(wantTags, a.tag())
			}
			sort.Strings(tags)
			sort.Strings(wantTags)
			if !slices.Equal(tags, wantTags) {
				t.Errorf("tags of %s = %q, want %q; %s", dir, tags, wantTags, rebuild)
			}

			referenced := map[string]bool{}
			for _, a := range r.artifacts {
				checkExampleArtifact(t, ctx, store, r, a, referenced)
			}
			// Every blob is reachable from a tag: a rebuild leaves nothing behind that
			// would only make the repository bigger.
			blobs, err := fs.Glob(os.DirFS(dir), "blobs/sha256/*")
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range blobs {
				if !referenced["sha256:"+path.Base(b)] {
					t.Errorf("%s/%s is not referenced by any tag; %s", dir, b, rebuild)
				}
			}
		})
	}
}

// checkExampleArtifact checks one tag against its entry in exampleRepositories and
// records the blobs it references.
func checkExampleArtifact(t *testing.T, ctx context.Context, store *oci.ReadOnlyStore, r exampleRepository, a exampleArtifact, referenced map[string]bool) {
	t.Helper()
	desc, err := store.Resolve(ctx, a.tag())
	if err != nil {
		t.Errorf("resolve %s:%s: %v", r.path, a.tag(), err)
		return
	}
	// FetchAll verifies size and digest, so a damaged blob fails here.
	raw, err := content.FetchAll(ctx, store, desc)
	if err != nil {
		t.Errorf("fetch manifest %s:%s: %v", r.path, a.tag(), err)
		return
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || desc.MediaType != ocispec.MediaTypeImageManifest {
		t.Errorf("%s:%s is a %s that does not read as an OCI image manifest (%v)", r.path, a.tag(), desc.MediaType, err)
		return
	}
	referenced[desc.Digest.String()] = true
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		referenced[d.Digest.String()] = true
		if _, err := content.FetchAll(ctx, store, d); err != nil {
			t.Errorf("%s:%s: blob %s: %v", r.path, a.tag(), d.Digest, err)
		}
	}

	isChart := m.Config.MediaType == registry.ConfigMediaType
	if a.image {
		if isChart {
			t.Errorf("%s:%s should be a container image, but its config type is Helm's", r.path, a.tag())
		}
		return
	}
	if !isChart {
		t.Errorf("%s:%s has config type %q, want Helm's %q", r.path, a.tag(), m.Config.MediaType, registry.ConfigMediaType)
		return
	}
	if len(m.Layers) == 0 || m.Layers[0].MediaType != registry.ContentMediaType {
		t.Errorf("%s:%s has no chart content layer %q: %+v", r.path, a.tag(), registry.ContentMediaType, m.Layers)
	}
	config, err := content.FetchAll(ctx, store, m.Config)
	if err != nil {
		return // reported above
	}
	var meta registry.Metadata
	if err := json.Unmarshal(config, &meta); err != nil {
		t.Errorf("%s:%s: chart metadata: %v", r.path, a.tag(), err)
		return
	}
	want := registry.Metadata{Name: r.name(), Version: a.version, AppVersion: a.appVersion, Description: r.description, Annotations: a.annotations()}
	if !exampleMetadataEqual(meta, want) {
		t.Errorf("%s:%s holds chart metadata %+v, want %+v; rebuild it with -update-example", r.path, a.tag(), meta, want)
	}
}

func exampleMetadataEqual(a, b registry.Metadata) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// exampleLayoutDirs lists the repositories under exampleRegistryDir: the directories
// holding an index.json.
func exampleLayoutDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(exampleRegistryDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "index.json" {
			rel, err := filepath.Rel(exampleRegistryDir, filepath.Dir(p))
			if err != nil {
				return err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", exampleRegistryDir, err)
	}
	sortLike := map[string]int{}
	for i, r := range exampleRepositories {
		sortLike[r.path] = i + 1
	}
	// Order as exampleRepositories does, unknown directories last, so the comparison
	// with it reads naturally.
	sort.SliceStable(dirs, func(i, j int) bool {
		oi, oj := sortLike[dirs[i]], sortLike[dirs[j]]
		if oi == 0 {
			oi = len(exampleRepositories) + 1
		}
		if oj == 0 {
			oj = len(exampleRepositories) + 1
		}
		return oi < oj
	})
	return dirs
}

// rebuildExampleRegistry pushes exampleRepositories to an in-process registry with Helm's
// client (and the image with oras-go), copies every repository into an OCI image layout
// and replaces testdata/registry's layouts with them. The README.md there is kept.
func rebuildExampleRegistry(t *testing.T) {
	ctx := context.Background()
	reg := testenv.StartRegistry(t)
	for _, r := range exampleRepositories {
		for _, a := range r.artifacts {
			if a.image {
				reg.PushImage(t, r.path, a.tag())
				continue
			}
			reg.PushChart(t, path.Dir(r.path), r.name(), a.version,
				testenv.WithAppVersion(a.appVersion),
				testenv.WithDescription(r.description),
				testenv.WithAnnotations(a.annotations()))
		}
	}

	// Build next to the old layouts, then swap: a failed rebuild leaves them as they were.
	staging, err := os.MkdirTemp(filepath.Dir(exampleRegistryDir), ".registry-rebuild-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(staging)
	for _, r := range exampleRepositories {
		dir := filepath.Join(staging, filepath.FromSlash(r.path))
		store, err := oci.NewWithContext(ctx, dir)
		if err != nil {
			t.Fatalf("create OCI layout %s: %v", dir, err)
		}
		src := reg.Repository(t, r.path)
		for _, a := range r.artifacts {
			if _, err := oras.Copy(ctx, src, a.tag(), store, a.tag(), oras.DefaultCopyOptions); err != nil {
				t.Fatalf("copy %s:%s to %s: %v", r.path, a.tag(), dir, err)
			}
		}
		// oras stages pushes in ingest/; it is empty once the copies are done.
		if err := os.RemoveAll(filepath.Join(dir, "ingest")); err != nil {
			t.Fatal(err)
		}
		if err := tidyExampleIndex(filepath.Join(dir, "index.json")); err != nil {
			t.Fatal(err)
		}
	}

	if readme, err := os.ReadFile(filepath.Join(exampleRegistryDir, "README.md")); err == nil {
		if err := os.WriteFile(filepath.Join(staging, "README.md"), readme, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(exampleRegistryDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(staging, exampleRegistryDir); err != nil {
		t.Fatal(err)
	}
	// MkdirTemp made the directory 0700; a checked-in directory is world-readable.
	if err := os.Chmod(exampleRegistryDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuilt %s", exampleRegistryDir)
}

// tidyExampleIndex rewrites index.json sorted by tag and indented: oras writes it in map
// order, which would make every rebuild a noisy diff.
func tidyExampleIndex(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var index ocispec.Index
	if err := json.Unmarshal(raw, &index); err != nil {
		return err
	}
	sort.Slice(index.Manifests, func(i, j int) bool {
		return index.Manifests[i].Annotations[ocispec.AnnotationRefName] < index.Manifests[j].Annotations[ocispec.AnnotationRefName]
	})
	out, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(out, '\n'), 0o644)
}

// exampleChange is the part of a planned change the quickstart promises.
type exampleChange struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	Application string `json:"application"`
	Kind        string `json:"kind"`
	Chart       string `json:"chart"`
	From        string `json:"from"`
	To          string `json:"to"`
	Digest      string `json:"digest"`
	Constraint  string `json:"constraint"`
	// ApplicationSet is outside the contract, but a reviewer of an ApplicationSet change
	// needs it: Application is then the name of the generated Application.
	ApplicationSet string `json:"applicationSet,omitempty"`
}

type exampleSkip struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	Application string `json:"application"`
	Chart       string `json:"chart"`
	Reason      string `json:"reason"`
}

// exampleWantChanges is what plan reports for the example fleet, in its order (file, line).
// Digests are filled in from the layouts.
var exampleWantChanges = []exampleChange{
	{File: "apps/production/api.yaml", Line: 18, Application: "api-production", Kind: "Application",
		Chart: "ghcr.io/acme/charts/api", From: "2.1.0+b.5", To: "2.1.0+b.6", Constraint: "~2.1"},
	{File: "apps/production/webapp.yaml", Line: 19, Application: "webapp-production", Kind: "Application",
		Chart: "ghcr.io/acme/charts/webapp", From: "1.2.3", To: "1.2.5", Constraint: "~1.2"},
	// The container image tagged 1.4.0 and the prerelease 2.0.0-rc.1 are passed over.
	{File: "apps/staging/webapp.yaml", Line: 17, Application: "webapp-staging", Kind: "Application",
		Chart: "ghcr.io/acme/charts/webapp", From: "1.2.3", To: "1.3.0", Constraint: "*"},
	{File: "appsets/workers.yaml", Line: 17, Application: "worker-staging", Kind: "ApplicationSet",
		Chart: "ghcr.io/acme/charts/worker", From: "0.9.0", To: "0.9.1", Constraint: "*", ApplicationSet: "workers"},
	{File: "appsets/workers.yaml", Line: 19, Application: "worker-production-eu", Kind: "ApplicationSet",
		Chart: "ghcr.io/acme/charts/worker", From: "0.8.0", To: "0.8.1", Constraint: "~0.8", ApplicationSet: "workers"},
}

// exampleWantSkips are the sources plan passes over, each with words its reason must contain.
var exampleWantSkips = []struct {
	file, application, chart, reason string
}{
	{"apps/production/legacy.yaml", "billing-legacy", "ghcr.io/acme/charts/billing", "chart-promoter.io/ignore"},
	{"apps/production/redis.yaml", "redis-production", "ghcr.io/acme/charts/redis", "range"},
	{"appsets/workers.yaml", "worker-production-us", "ghcr.io/acme/charts/worker", "up to date"},
}

// exampleQuickstartArgs are the README's quickstart arguments, with paths from this package.
func exampleQuickstartArgs(command, dir string, extra ...string) []string {
	args := []string{command, "--dir", dir, "--mirror", exampleHost + "=oci-layout:" + exampleRegistryDir}
	return append(args, extra...)
}

// readmeQuickstartArgs returns the arguments of the README's first `go run` command, with
// the paths rewritten from the module root to this package.
func readmeQuickstartArgs(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read the README: %v", err)
	}
	const prefix = "go run ./cmd/chart-promoter "
	for _, line := range strings.Split(string(readme), "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
		if !ok {
			continue
		}
		args := strings.Fields(cmd)
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "testdata/", "../../testdata/")
		}
		return args
	}
	t.Fatalf("the README has no %q command", prefix+"…")
	return nil
}

// runExample runs the CLI in-process, isolated from the developer's registry logins.
func runExample(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// isolateExampleCredentials points credential lookups at empty places, so that nothing
// the developer is logged in to can change what the quickstart does.
func isolateExampleCredentials(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("DOCKER_CONFIG", empty)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(empty, "helm-registry.json"))
	t.Setenv(envUsername, "")
	// Set, then unset: t.Setenv restores the developer's value when the test ends.
	t.Setenv(envPassword, "")
	os.Unsetenv(envPassword)
}

// TestReadmeQuickstart runs the README's first command — plan on the example fleet with
// the example registry as a mirror — and holds its output to what the README promises.
func TestReadmeQuickstart(t *testing.T) {
	isolateExampleCredentials(t)
	want := exampleWithDigests(t, exampleWantChanges)
	fleetBefore := snapshotExampleTree(t, exampleFleetDir)
	registryBefore := snapshotExampleTree(t, exampleRegistryDir)

	args := exampleQuickstartArgs("plan", exampleFleetDir)
	if readme := readmeQuickstartArgs(t); !slices.Equal(readme, args) {
		t.Errorf("the README's quickstart runs %q, this test runs %q: keep them the same", readme, args)
	}
	code, out, errOut := runExample(t, args...)
	if code != exitOK || errOut != "" {
		t.Fatalf("plan exited %d, want 0\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	t.Logf("plan output:\n%s", out)

	t.Run("the report lists every change", func(t *testing.T) {
		for _, c := range want {
			where := c.File + ":" + strconv.Itoa(c.Line)
			if !strings.Contains(out, where) || !strings.Contains(out, c.Application) {
				t.Errorf("report does not place %s at %s:\n%s", c.Application, where, out)
			}
			if !containsLineWith(out, c.Chart, c.From+" → "+c.To) {
				t.Errorf("report has no line with %s %s → %s:\n%s", c.Chart, c.From, c.To, out)
			}
			if !containsLineWith(out, "allowed by "+c.Constraint+" (", c.Digest[:len("sha256:")+12]) {
				t.Errorf("report has no line saying %s allowed %s (digest %s):\n%s", c.Constraint, c.To, c.Digest, out)
			}
		}
		if containsLineWith(out, "1.4.0") {
			t.Errorf("report mentions 1.4.0, the container image, as if it were a chart version:\n%s", out)
		}
	})

	t.Run("the report lists the skips with reasons", func(t *testing.T) {
		for _, s := range exampleWantSkips {
			if s.reason == "up to date" {
				continue // counted, not listed, without --verbose
			}
			if !containsLineWith(out, s.file, s.application) {
				t.Errorf("report does not list %s (%s) as skipped:\n%s", s.application, s.file, out)
			}
			if !strings.Contains(out, s.reason) {
				t.Errorf("report does not give the reason %q for %s:\n%s", s.reason, s.application, out)
			}
		}
		if strings.Contains(out, "argocd-cm.yaml") {
			t.Errorf("report mentions the plain ConfigMap, which is no Argo CD manifest:\n%s", out)
		}
		summary := "5 change(s) in 4 file(s), 1 up to date (-v lists them), 2 skipped, 0 error(s)"
		if !strings.Contains(out, summary) {
			t.Errorf("report lacks the summary %q:\n%s", summary, out)
		}
	})

	t.Run("the diff touches only versions", func(t *testing.T) {
		diffs := parseExampleDiff(t, out)
		var files []string
		for f := range diffs {
			files = append(files, f)
		}
		sort.Strings(files)
		wantFiles := []string{"apps/production/api.yaml", "apps/production/webapp.yaml", "apps/staging/webapp.yaml", "appsets/workers.yaml"}
		if !slices.Equal(files, wantFiles) {
			t.Errorf("diff covers %q, want %q", files, wantFiles)
		}
		changed := 0
		for file, d := range diffs {
			for _, l := range d.lines {
				if l.old == l.new {
					continue
				}
				changed++
				if !versionLine.MatchString(l.old) || !versionLine.MatchString(l.new) {
					t.Errorf("%s:%d: diff changes a line that is not a targetRevision or list-generator version:\n-%s\n+%s", file, l.line, l.old, l.new)
				}
			}
		}
		if changed != len(want) {
			t.Errorf("diff changes %d lines, want one per change (%d)", changed, len(want))
		}
	})

	t.Run("json keeps its contract", func(t *testing.T) {
		code, out, errOut := runExample(t, exampleQuickstartArgs("plan", exampleFleetDir, "--json")...)
		if code != exitOK || errOut != "" {
			t.Fatalf("plan --json exited %d, want 0\nstderr:\n%s", code, errOut)
		}
		checkExampleJSONContract(t, out)
		var got struct {
			Changes []exampleChange `json:"changes"`
			Skipped []exampleSkip   `json:"skipped"`
			Errors  []any           `json:"errors"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("plan --json printed no JSON object: %v\n%s", err, out)
		}
		if !slices.Equal(got.Changes, want) {
			t.Errorf("changes:\n got %+v\nwant %+v", got.Changes, want)
		}
		if got.Errors == nil || len(got.Errors) != 0 {
			t.Errorf("errors = %#v, want []", got.Errors)
		}
		if len(got.Skipped) != len(exampleWantSkips) {
			t.Errorf("skipped %d sources, want %d: %+v", len(got.Skipped), len(exampleWantSkips), got.Skipped)
		}
		for _, w := range exampleWantSkips {
			i := slices.IndexFunc(got.Skipped, func(s exampleSkip) bool { return s.Application == w.application })
			if i < 0 {
				t.Errorf("%s is not among the skipped: %+v", w.application, got.Skipped)
				continue
			}
			s := got.Skipped[i]
			if s.File != w.file || s.Chart != w.chart || s.Line == 0 || !strings.Contains(s.Reason, w.reason) {
				t.Errorf("skip of %s = %+v, want file %s, chart %s, a line and a reason mentioning %q", w.application, s, w.file, w.chart, w.reason)
			}
		}
	})

	t.Run("plan changes nothing", func(t *testing.T) {
		if diff := diffExampleTrees(fleetBefore, snapshotExampleTree(t, exampleFleetDir)); diff != "" {
			t.Errorf("plan changed %s: %s", exampleFleetDir, diff)
		}
		if diff := diffExampleTrees(registryBefore, snapshotExampleTree(t, exampleRegistryDir)); diff != "" {
			t.Errorf("plan changed %s: %s", exampleRegistryDir, diff)
		}
	})

	t.Run("apply edits exactly what plan showed, once", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "example")
		if err := os.CopyFS(dir, os.DirFS(exampleFleetDir)); err != nil {
			t.Fatal(err)
		}
		code, applied, errOut := runExample(t, exampleQuickstartArgs("apply", dir)...)
		if code != exitOK || errOut != "" {
			t.Fatalf("apply exited %d, want 0\nstderr:\n%s\nstdout:\n%s", code, errOut, applied)
		}
		if !strings.Contains(applied, "Applied (5):") {
			t.Errorf("apply does not report 5 changed sources:\n%s", applied)
		}

		// The plan's diff, applied to the original files, must give the files apply wrote.
		diffs := parseExampleDiff(t, out)
		after := snapshotExampleTree(t, dir)
		for file, before := range fleetBefore {
			want := before
			if d, ok := diffs[file]; ok {
				want = d.patch(t, before)
			}
			if got := after[file]; got != want {
				t.Errorf("after apply, %s =\n%s\nwant (the original with the plan's diff applied):\n%s", file, got, want)
			}
		}
		if len(after) != len(fleetBefore) {
			t.Errorf("apply left %d files, the example has %d", len(after), len(fleetBefore))
		}

		code, again, errOut := runExample(t, exampleQuickstartArgs("apply", dir, "--json")...)
		if code != exitOK || errOut != "" {
			t.Fatalf("second apply exited %d, want 0\nstderr:\n%s", code, errOut)
		}
		var second struct {
			Changes []exampleChange `json:"changes"`
			Skipped []exampleSkip   `json:"skipped"`
		}
		if err := json.Unmarshal([]byte(again), &second); err != nil {
			t.Fatalf("second apply --json: %v\n%s", err, again)
		}
		if len(second.Changes) != 0 {
			t.Errorf("second apply changed again: %+v", second.Changes)
		}
		upToDate := 0
		for _, s := range second.Skipped {
			if strings.HasPrefix(s.Reason, "up to date") {
				upToDate++
			}
		}
		if want := len(exampleWantChanges) + 1; upToDate != want {
			t.Errorf("after apply, %d sources are up to date, want %d: %+v", upToDate, want, second.Skipped)
		}
		if diff := diffExampleTrees(after, snapshotExampleTree(t, dir)); diff != "" {
			t.Errorf("second apply changed files: %s", diff)
		}
	})
}

// checkExampleJSONContract checks the field names pipelines read, by name rather than
// through a struct that would quietly accept a renamed field as missing.
func checkExampleJSONContract(t *testing.T, out string) {
	t.Helper()
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan --json is not {changes, skipped, errors}: %v\n%s", err, out)
	}
	for _, key := range []string{"changes", "skipped", "errors"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("plan --json has no %q", key)
		}
	}
	contract := map[string][]string{
		"changes": {"file", "line", "application", "kind", "chart", "from", "to", "digest", "constraint"},
		// line, application and chart are omitted when empty; every example skip has them.
		"skipped": {"file", "line", "application", "chart", "reason"},
	}
	for key, fields := range contract {
		for i, item := range doc[key] {
			for _, f := range fields {
				if _, ok := item[f]; !ok {
					t.Errorf("%s[%d] has no %q field: %v", key, i, f, item)
				}
			}
		}
	}
}

// exampleWithDigests returns changes with Digest set to the manifest digest of To in the
// example registry.
func exampleWithDigests(t *testing.T, changes []exampleChange) []exampleChange {
	t.Helper()
	ctx := context.Background()
	out := slices.Clone(changes)
	for i, c := range out {
		repo := strings.TrimPrefix(c.Chart, exampleHost+"/")
		store, err := oci.NewFromFS(ctx, os.DirFS(filepath.Join(exampleRegistryDir, filepath.FromSlash(repo))))
		if err != nil {
			t.Fatalf("open layout of %s: %v", c.Chart, err)
		}
		desc, err := store.Resolve(ctx, strings.ReplaceAll(c.To, "+", "_"))
		if err != nil {
			t.Fatalf("resolve %s:%s in the example registry: %v", c.Chart, c.To, err)
		}
		out[i].Digest = desc.Digest.String()
	}
	return out
}

// versionLine matches a targetRevision, or a list-generator element's version, the only
// lines the example's diff may touch.
var versionLine = regexp.MustCompile(`^\s*(- )?(targetRevision|version): ["']?[0-9][0-9A-Za-z.+_-]*["']?( +#.*)?$`)

// containsLineWith reports whether one line of text contains every part.
func containsLineWith(text string, parts ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		all := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// exampleFileDiff is one file's part of a unified diff whose edits replace lines one for
// one, as chart-promoter's do.
type exampleFileDiff struct {
	lines []exampleDiffLine
}

type exampleDiffLine struct {
	line     int // 1-based, in the old and the new file alike
	old, new string
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+),(\d+) \+(\d+),(\d+) @@`)

// parseExampleDiff reads the unified diffs in a report, by file.
func parseExampleDiff(t *testing.T, report string) map[string]*exampleFileDiff {
	t.Helper()
	diffs := map[string]*exampleFileDiff{}
	var cur *exampleFileDiff
	next := 0       // line number of the next line in the current hunk
	pending := -1   // index in cur.lines of a "-" line awaiting its "+"
	inHunk := false // past a hunk header and not yet at a blank line
	sc := bufio.NewScanner(strings.NewReader(report))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "--- a/"):
			cur = &exampleFileDiff{}
			diffs[strings.TrimPrefix(l, "--- a/")] = cur
			inHunk = false
		case strings.HasPrefix(l, "+++ b/"):
		case hunkHeader.MatchString(l):
			if cur == nil {
				t.Fatalf("hunk before a file header: %q", l)
			}
			m := hunkHeader.FindStringSubmatch(l)
			if m[1] != m[3] || m[2] != m[4] {
				t.Errorf("hunk %q adds or removes lines; chart-promoter only replaces values", l)
			}
			next, _ = strconv.Atoi(m[1])
			inHunk = true
		case !inHunk || l == "":
			inHunk = false
		case l[0] == ' ':
			cur.lines = append(cur.lines, exampleDiffLine{line: next, old: l[1:], new: l[1:]})
			next++
		case l[0] == '-':
			cur.lines = append(cur.lines, exampleDiffLine{line: next, old: l[1:]})
			pending = len(cur.lines) - 1
		case l[0] == '+':
			if pending < 0 {
				t.Fatalf("diff line %q has no removed line before it", l)
			}
			cur.lines[pending].new = l[1:]
			pending = -1
			next++
		default:
			inHunk = false
		}
	}
	if len(diffs) == 0 {
		t.Fatalf("the report has no diff:\n%s", report)
	}
	return diffs
}

// patch applies the diff to a file's content, checking that its context matches.
func (d *exampleFileDiff) patch(t *testing.T, content string) string {
	t.Helper()
	lines := strings.Split(content, "\n")
	for _, l := range d.lines {
		if l.line < 1 || l.line > len(lines) || lines[l.line-1] != l.old {
			t.Errorf("diff line %d %q does not match the file", l.line, l.old)
			continue
		}
		lines[l.line-1] = l.new
	}
	return strings.Join(lines, "\n")
}

// snapshotExampleTree reads every file under dir, by slash-separated relative path.
func snapshotExampleTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(dir), p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return files
}

// diffExampleTrees names the files that differ between two snapshots, "" if none.
func diffExampleTrees(before, after map[string]string) string {
	var changed []string
	for f, b := range before {
		if a, ok := after[f]; !ok {
			changed = append(changed, f+" (deleted)")
		} else if a != b {
			changed = append(changed, f)
		}
	}
	for f := range after {
		if _, ok := before[f]; !ok {
			changed = append(changed, f+" (created)")
		}
	}
	sort.Strings(changed)
	return strings.Join(changed, ", ")
}
