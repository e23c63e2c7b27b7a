package manifest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// staleApplication is what a temporary file holds: a manifest, which must never be read
// as one of the tree's own.
const staleApplication = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  source:
    repoURL: ghcr.io/acme/charts
    chart: web
    targetRevision: 1.0.0
`

func TestIsTempNameKnowsOnlyTheToolsOwnTemporaryFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		ours bool
	}{
		{".web.yaml.chart-promoter-tmp-0123456789abcdef", true},
		{".web.yaml.chart-promoter-2718281828", true}, // an older version's os.CreateTemp suffix
		{"web.yaml.chart-promoter-tmp-0123456789abcdef", false},
		{".web.yaml.chart-promoter-tmp-0123456789ABCDEF", false},
		{".web.yaml.chart-promoter-tmp-0123456789abcde", false},
		{".web.yaml.chart-promoter-tmp-0123456789abcdef.yaml", false},
		{".chart-promoter-tmp-0123456789abcdef", false},
		{".web.yaml.chart-promoter-notes", false},
		{".web.yaml.chart-promoter-12345678901", false},
		{"web.yaml", false},
	} {
		if got := IsTempName(c.name); got != c.ours {
			t.Errorf("IsTempName(%q) = %v, want %v", c.name, got, c.ours)
		}
	}
}

func TestDiscoverRemovesStaleTemporaryFilesAndOnlyThem(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "apps", "web.yaml"), []byte(staleApplication))
	stale := []string{"apps/.web.yaml.chart-promoter-tmp-0123456789abcdef", "apps/deep/.api.yaml.chart-promoter-2718281828"}
	for _, rel := range stale {
		writeFile(t, filepath.Join(root, filepath.FromSlash(rel)), []byte(staleApplication))
	}
	kept := []string{"apps/.web.yaml.chart-promoter-notes", "apps/web.yaml.chart-promoter-tmp-0123456789abcdef"}
	for _, rel := range kept {
		writeFile(t, filepath.Join(root, filepath.FromSlash(rel)), []byte("not ours\n"))
	}
	// A link and a directory with the tool's exact pattern: the tool makes neither.
	outside := filepath.Join(t.TempDir(), "target.yaml")
	writeFile(t, outside, []byte("the link's target\n"))
	link := filepath.Join(root, "apps", ".api.yaml.chart-promoter-tmp-fedcba9876543210")
	must(t, os.Symlink(outside, link))
	dir := filepath.Join(root, "apps", ".x.yaml.chart-promoter-tmp-00000000deadbeef")
	must(t, os.Mkdir(dir, 0o755))

	// Even an include pattern that matches every name reads no temporary file.
	got, err := Discover(context.Background(), root, Options{Include: mustGlobs(t, []string{"**"})})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Removed, stale) {
		t.Errorf("Removed = %q, want %q", got.Removed, stale)
	}
	for _, rel := range stale {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel))); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", rel, err)
		}
	}
	for _, p := range append([]string{link, dir, outside}, filepath.Join(root, "apps", "web.yaml")) {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s, which is not a stale temporary file, is gone: %v", p, err)
		}
	}
	for _, rel := range kept {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			t.Errorf("%s, which is not the tool's, is gone: %v", rel, err)
		}
	}
	if data := readFile(t, outside); string(data) != "the link's target\n" {
		t.Errorf("the link's target changed: %q", data)
	}
	for _, s := range got.Sources {
		if s.File != "apps/web.yaml" {
			t.Errorf("a source was read from %s", s.File)
		}
	}
	for _, s := range got.Skipped {
		if strings.Contains(s.File, "chart-promoter-tmp") || strings.Contains(s.File, "chart-promoter-27") {
			t.Errorf("a temporary file was reported: %+v", s)
		}
	}
}

func TestATemporaryFileALiveRunIsWritingIsLeftAlone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock on Windows")
	}
	root := t.TempDir()
	target := filepath.Join(root, "web.yaml")
	writeFile(t, target, []byte(staleApplication))
	live, err := createTemp(target)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if !IsTempName(filepath.Base(live.Name())) {
		t.Fatalf("createTemp made %s, which IsTempName does not know", live.Name())
	}
	got, err := Discover(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Removed) != 0 || len(got.Problems) != 0 {
		t.Errorf("Removed %q, problems %v; want the locked file left alone", got.Removed, got.Problems)
	}
	if _, err := os.Lstat(live.Name()); err != nil {
		t.Fatalf("the temporary file a live run holds was removed: %v", err)
	}
	// Its writer dies (closing releases the lock, as the kernel does for a killed process).
	live.Close()
	got, err = Discover(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Base(live.Name())}; !slices.Equal(got.Removed, want) {
		t.Errorf("after its writer is gone, Removed = %q, want %q", got.Removed, want)
	}
}

func TestStillAtTellsATemporaryFileRemovedOrReplacedUnderItsName(t *testing.T) {
	// A clean-up that took the file just before its writer locked it: the writer must
	// notice, and write through another one.
	target := filepath.Join(t.TempDir(), "web.yaml")
	writeFile(t, target, []byte(staleApplication))
	tmp, err := createTemp(target)
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	if !stillAt(tmp, tmp.Name()) {
		t.Fatal("stillAt says a fresh temporary file is not in place")
	}
	must(t, os.Remove(tmp.Name()))
	if stillAt(tmp, tmp.Name()) {
		t.Error("stillAt says a removed file is in place")
	}
	writeFile(t, tmp.Name(), []byte("another file, same name"))
	if stillAt(tmp, tmp.Name()) {
		t.Error("stillAt says a file replaced under the same name is in place")
	}
}

func TestAStaleTemporaryFileThatCannotBeRemovedIsAProblem(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no read-only directories on Windows")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "apps")
	writeFile(t, filepath.Join(dir, "web.yaml"), []byte(staleApplication))
	writeFile(t, filepath.Join(dir, ".web.yaml.chart-promoter-tmp-0123456789abcdef"), []byte("half"))
	readOnlyDir(t, dir)
	got, err := Discover(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Problems) != 1 || got.Problems[0].File != "apps/.web.yaml.chart-promoter-tmp-0123456789abcdef" || !strings.Contains(got.Problems[0].Message, "delete it by hand") {
		t.Fatalf("problems %v, want one naming the file and what to do", got.Problems)
	}
	if len(got.Sources) != 1 {
		t.Errorf("the rest of the tree was not read: %d sources", len(got.Sources))
	}
}
