package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// step is the part of a workflow step these checks read.
type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

func releaseSteps(t *testing.T) []step {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []step `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var steps []step
	for _, j := range wf.Jobs {
		steps = append(steps, j.Steps...)
	}
	return steps
}

func find(steps []step, match func(step) bool) (step, int) {
	for i, s := range steps {
		if match(s) {
			return s, i
		}
	}
	return step{}, -1
}

// TestTheReleaseWorkflowPinsTheImageItPushed reads the release workflow as the runner
// would: it must push a multi-arch image with the tags the README promises, then pin
// action.yml to the digest of exactly that push, then tag the pinned commit.
func TestTheReleaseWorkflowPinsTheImageItPushed(t *testing.T) {
	steps := releaseSteps(t)
	build, bi := find(steps, func(s step) bool { return strings.HasPrefix(s.Uses, "docker/build-push-action@") })
	if bi < 0 {
		t.Fatal("no docker/build-push-action step")
	}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		if !strings.Contains(build.With["platforms"], platform) {
			t.Errorf("the image is not built for %s: platforms = %q", platform, build.With["platforms"])
		}
	}
	if build.With["push"] != "true" || build.ID == "" {
		t.Errorf("the build step must push and have an id, so its digest can be read: push=%q id=%q", build.With["push"], build.ID)
	}

	meta, mi := find(steps, func(s step) bool { return strings.HasPrefix(s.Uses, "docker/metadata-action@") })
	if mi < 0 || mi > bi {
		t.Fatal("no docker/metadata-action step before the build")
	}
	for _, want := range []string{"pattern=v{{version}}", "pattern=v{{major}}.{{minor}}", "pattern=v{{major}},", "type=raw,value=latest"} {
		if !strings.Contains(meta.With["tags"], want) {
			t.Errorf("the image tags lack %q (v1.2.3, v1.2, v1 and latest are promised):\n%s", want, meta.With["tags"])
		}
	}
	if !strings.Contains(build.With["tags"], "steps."+meta.ID+".outputs.tags") {
		t.Errorf("the build does not push the metadata step's tags: %q", build.With["tags"])
	}

	pin, pi := find(steps, func(s step) bool { return strings.Contains(s.Run, "./internal/release/cmd/pin-action") })
	if pi < bi {
		t.Fatal("no step pins action.yml after the build")
	}
	if got, want := pin.Env["DIGEST"], "${{ steps."+build.ID+".outputs.digest }}"; got != want {
		t.Errorf("the pin reads DIGEST = %q, want %q: the digest of the push itself", got, want)
	}
	if !strings.Contains(pin.Run, `-digest "$DIGEST"`) || !strings.Contains(pin.Run, "action.yml") {
		t.Errorf("the pin step does not pass the digest and action.yml: %q", pin.Run)
	}

	_, ti := find(steps, func(s step) bool { return strings.Contains(s.Run, `git tag -a "$VERSION"`) })
	if ti < pi {
		t.Error("the release tag is not made after action.yml is pinned")
	}
}
