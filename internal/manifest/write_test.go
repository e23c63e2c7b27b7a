package manifest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// editFixture copies a rewrite fixture's in.yaml to a new directory with the given mode
// and returns its path, its edits to the versions in edit.txt, and the expected bytes.
func editFixture(t *testing.T, name string, mode os.FileMode) (path string, edits []Edit, want []byte) {
	t.Helper()
	c := rewriteCaseNamed(t, name)
	path = filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, c.in, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path, editsFor(t, scanSources("app.yaml", c.in), c.versions), c.want
}

func rewriteCaseNamed(t *testing.T, name string) rewriteCase {
	t.Helper()
	for _, c := range readRewriteCases(t) {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no rewrite fixture %q", name)
	return rewriteCase{}
}

// assertOnlyFile checks that dir holds nothing but the file: no temporary file was left.
func assertOnlyFile(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only %q", names, filepath.Base(path))
	}
}

func TestEditFileWritesTheRewriteAndKeepsTheMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix file modes")
	}
	for _, mode := range []os.FileMode{0o640, 0o600, 0o644} {
		t.Run(mode.String(), func(t *testing.T) {
			path, edits, want := editFixture(t, "crlf-line-endings", mode)
			before := readFile(t, path)
			changed, err := EditFile(path, sha256.Sum256(before), edits)
			if err != nil || !changed {
				t.Fatalf("EditFile = %v, %v; want true, nil", changed, err)
			}
			if got := readFile(t, path); !bytes.Equal(got, want) {
				t.Errorf("file differs from want.yaml at %s", firstDifference(got, want))
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != mode {
				t.Errorf("mode after the edit = %v, want %v", info.Mode().Perm(), mode)
			}
			assertOnlyFile(t, path)
		})
	}
}

func TestEditFileReportsNoChangeWhenTheValueIsAlreadyThere(t *testing.T) {
	path, edits, want := editFixture(t, "same-value-is-a-no-op", 0o644)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := EditFile(path, sha256.Sum256(want), edits)
	if err != nil || changed {
		t.Fatalf("EditFile = %v, %v; want false, nil", changed, err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(info, after) {
		t.Error("EditFile replaced the file although nothing changed")
	}
	assertOnlyFile(t, path)
}

func TestEditFileRefusesAFileThatChangedAfterDiscovery(t *testing.T) {
	path, edits, _ := editFixture(t, "plain-value", 0o640)
	discovered := readFile(t, path)
	changedByHand := bytes.Replace(discovered, []byte("name: web"), []byte("name: web-renamed"), 1)
	if err := os.WriteFile(path, changedByHand, 0o640); err != nil {
		t.Fatal(err)
	}
	changed, err := EditFile(path, sha256.Sum256(discovered), edits)
	if err == nil || changed {
		t.Fatalf("EditFile = %v, %v; want a refusal", changed, err)
	}
	if got := readFile(t, path); !bytes.Equal(got, changedByHand) {
		t.Error("EditFile changed a file it refused to edit")
	}
	assertOnlyFile(t, path)
}

func TestEditFileLeavesTheFileAloneWhenTheRewriteIsRefused(t *testing.T) {
	path, edits, _ := editFixture(t, "plain-value", 0o640)
	before := readFile(t, path)
	edits[0].New = "1.2.4 # not a version"
	changed, err := EditFile(path, sha256.Sum256(before), edits)
	var refused *RefusedError
	if !errors.As(err, &refused) || changed {
		t.Fatalf("EditFile = %v, %v; want a *RefusedError", changed, err)
	}
	if got := readFile(t, path); !bytes.Equal(got, before) {
		t.Error("EditFile changed a file whose rewrite was refused")
	}
	assertOnlyFile(t, path)
}

func TestEditFileRefusesWhatIsNotARegularFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	path, edits, _ := editFixture(t, "plain-value", 0o644)
	data := readFile(t, path)
	link := filepath.Join(t.TempDir(), "link.yaml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if changed, err := EditFile(link, sha256.Sum256(data), edits); err == nil || changed {
		t.Fatalf("EditFile through a symbolic link = %v, %v; want an error", changed, err)
	}
	if got := readFile(t, path); !bytes.Equal(got, data) {
		t.Error("EditFile changed the target of a symbolic link")
	}
	if _, err := EditFile(filepath.Join(t.TempDir(), "missing.yaml"), sha256.Sum256(data), edits); err == nil {
		t.Error("EditFile of a missing file succeeded")
	}
}
