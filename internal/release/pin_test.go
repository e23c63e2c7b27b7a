package release

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

// repoRoot holds action.yml and .github.
const repoRoot = "../.."

const testDigest = "sha256:3f7a2c1b9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"

func readActionYML(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPinnedImage(t *testing.T) {
	tests := []struct {
		name, repository, digest, want, wantErr string
	}{
		{name: "a GHCR repository and a sha256 digest make a docker:// reference", repository: "ghcr.io/chart-promoter/chart-promoter", digest: testDigest,
			want: "docker://ghcr.io/chart-promoter/chart-promoter@" + testDigest},
		{name: "an uppercase owner is refused: image names are lowercase", repository: "ghcr.io/Chart-Promoter/chart-promoter", digest: testDigest, wantErr: "lowercase"},
		{name: "a repository without its registry is refused", repository: "chart-promoter/chart-promoter", digest: testDigest, wantErr: "in full"},
		{name: "a tag instead of a digest is refused", repository: "ghcr.io/acme/chart-promoter:v1", digest: testDigest, wantErr: "has a tag"},
		{name: "a short digest is refused", repository: "ghcr.io/acme/chart-promoter", digest: "sha256:3f7a", wantErr: "sha256:<64 hex digits>"},
		{name: "an empty digest is refused", repository: "ghcr.io/acme/chart-promoter", digest: "", wantErr: "sha256:<64 hex digits>"},
		{name: "a sha512 digest is refused", repository: "ghcr.io/acme/chart-promoter", digest: "sha512:" + strings.Repeat("ab", 64), wantErr: "sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PinnedImage(tt.repository, tt.digest)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PinnedImage(%q, %q) = %q, %v; want an error with %q", tt.repository, tt.digest, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PinnedImage = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// pinnedImageRE is what a release's runs.image must look like: the runner pulls exactly
// this content, for every platform the image index holds.
var pinnedImageRE = regexp.MustCompile(`^docker://ghcr\.io/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$`)

func TestPinImageChangesOnlyTheImageLine(t *testing.T) {
	before := readActionYML(t)
	image, err := PinnedImage("ghcr.io/chart-promoter/chart-promoter", testDigest)
	if err != nil {
		t.Fatal(err)
	}
	after, err := PinImage(before, image)
	if err != nil {
		t.Fatal(err)
	}
	var md metadata
	if err := yaml.Unmarshal(after, &md); err != nil {
		t.Fatal(err)
	}
	if !pinnedImageRE.MatchString(md.Runs.Image) {
		t.Errorf("runs.image = %q, want docker://ghcr.io/…@sha256:<64 hex>", md.Runs.Image)
	}
	a, b := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	if len(a) != len(b) {
		t.Fatalf("pinning changed the number of lines: %d → %d", len(a), len(b))
	}
	var changed []string
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, a[i]+" → "+b[i])
		}
	}
	if len(changed) != 1 || !strings.Contains(changed[0], "image: Dockerfile → ") {
		t.Errorf("changed lines:\n%s\nwant exactly the runs.image line", strings.Join(changed, "\n"))
	}

	// A re-run of a release moves the pin.
	other := "docker://ghcr.io/chart-promoter/chart-promoter@sha256:" + strings.Repeat("0", 64)
	again, err := PinImage(after, other)
	if err != nil {
		t.Fatalf("re-pinning: %v", err)
	}
	if !bytes.Contains(again, []byte("image: "+other+"\n")) || bytes.Contains(again, []byte(testDigest)) {
		t.Errorf("re-pinning did not replace the earlier pin:\n%s", again)
	}
}

func TestPinImageRefusesWhatItCannotPin(t *testing.T) {
	image := "docker://ghcr.io/acme/chart-promoter@" + testDigest
	tests := []struct {
		name, actionYML, image, wantErr string
	}{
		{name: "a composite action", actionYML: "name: x\nruns:\n  using: composite\n  steps: []\n", image: image, wantErr: `runs.using is "composite"`},
		{name: "an image other than the Dockerfile", actionYML: "name: x\nruns:\n  using: docker\n  image: build/Dockerfile.dev\n", image: image, wantErr: `want "Dockerfile"`},
		{name: "a second image line with the same value", actionYML: "name: x\ninputs:\n  base:\n    description: x\n    default: Dockerfile\nextra:\n  image: Dockerfile\nruns:\n  using: docker\n  image: Dockerfile\n", image: image, wantErr: "exactly one"},
		{name: "an unpinned image", actionYML: "name: x\nruns:\n  using: docker\n  image: Dockerfile\n", image: "docker://ghcr.io/acme/chart-promoter:v1", wantErr: "not pinned"},
		{name: "metadata that does not parse", actionYML: "name: [x\n", image: image, wantErr: "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PinImage([]byte(tt.actionYML), tt.image)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("PinImage = %q, %v; want an error with %q", got, err, tt.wantErr)
			}
		})
	}
}

func TestPinImageKeepsQuotesAndComments(t *testing.T) {
	in := "name: x\nruns:\n  using: docker\n  image: \"Dockerfile\"   # built on every run\n  args: [action]\n"
	image := "docker://ghcr.io/acme/chart-promoter@" + testDigest
	got, err := PinImage([]byte(in), image)
	if err != nil {
		t.Fatal(err)
	}
	want := "name: x\nruns:\n  using: docker\n  image: " + image + "   # built on every run\n  args: [action]\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// lintProject runs actionlint on the workflows of a project directory, with the local
// action (`uses: ./`) read from its action.yml.
func lintProject(t *testing.T, dir string) []*actionlint.Error {
	t.Helper()
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows in %s: %v", dir, err)
	}
	errs, err := linter.LintFiles(files, project)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// project lays out a repository holding actionYML and a workflow that uses it.
func project(t *testing.T, actionYML []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	// actionlint finds a project by its .git.
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	workflow, err := os.ReadFile(filepath.Join("testdata", "uses-the-pinned-action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"action.yml": actionYML, ".github/workflows/use.yml": workflow} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestThePinnedActionPassesActionlint(t *testing.T) {
	image, err := PinnedImage("ghcr.io/chart-promoter/chart-promoter", testDigest)
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := PinImage(readActionYML(t), image)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range lintProject(t, project(t, pinned)) {
		t.Errorf("%s", e)
	}
}

// TestActionlintChecksTheActionsImage proves the test above has teeth: actionlint reads
// runs.image, and an unpinned action whose Dockerfile is missing fails.
func TestActionlintChecksTheActionsImage(t *testing.T) {
	errs := lintProject(t, project(t, readActionYML(t))) // image: Dockerfile, and no Dockerfile
	found := false
	for _, e := range errs {
		found = found || strings.Contains(e.Message, "Dockerfile")
	}
	if !found {
		t.Errorf("actionlint did not report the missing Dockerfile; it reported %v", errs)
	}
}
