package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// crashFleetSize is how many Application files the killed apply works on: enough that a
// kill lands in the middle of writing them, at a different file each time.
const crashFleetSize = 2000

// crashFleet is a Git checkout of crashFleetSize Applications, made from the example
// fleet's two webapp files, with the bytes each file must hold before and after apply.
type crashFleet struct {
	dir              string
	original, edited map[string][]byte // by slash path relative to dir
	// decoys are files that look like the tool's but are not: they must outlive every run.
	decoys map[string]string // path → what Lstat must still say ("file" or "link")
	// planted are temporary files left as a killed run leaves them, sorted.
	planted []string
}

// newCrashFleet writes and commits the fleet. The promoted bytes of each template come from
// an apply of the example fleet itself, so they are what the tool writes, not a guess.
func newCrashFleet(t *testing.T) *crashFleet {
	t.Helper()
	isolateExampleCredentials(t)
	templates := map[string]string{
		"production": filepath.Join(exampleFleetDir, "apps", "production", "webapp.yaml"),
		"staging":    filepath.Join(exampleFleetDir, "apps", "staging", "webapp.yaml"),
	}
	promoted := t.TempDir()
	for env, src := range templates {
		writeBytes(t, filepath.Join(promoted, env+".yaml"), readBytes(t, src))
	}
	if code, _, errOut := runExample(t, exampleQuickstartArgs("apply", promoted)...); code != exitOK {
		t.Fatalf("apply of the templates: exit %d\n%s", code, errOut)
	}

	f := &crashFleet{dir: crashDir(t), original: map[string][]byte{}, edited: map[string][]byte{}, decoys: map[string]string{}}
	for i := range crashFleetSize {
		env := []string{"production", "staging"}[i%2]
		name := fmt.Sprintf("webapp-%s-%04d", env, i)
		rel := fmt.Sprintf("apps/team-%02d/%s.yaml", i%40, name)
		rename := func(b []byte) []byte {
			return bytes.Replace(b, []byte("name: webapp-"+env+"\n"), []byte("name: "+name+"\n"), 1)
		}
		f.original[rel] = rename(readBytes(t, templates[env]))
		f.edited[rel] = rename(readBytes(t, filepath.Join(promoted, env+".yaml")))
		if bytes.Equal(f.original[rel], f.edited[rel]) {
			t.Fatalf("the %s template does not change on apply", env)
		}
		writeBytes(t, filepath.Join(f.dir, filepath.FromSlash(rel)), f.original[rel])
	}
	// Names like the tool's, which are not its temporary files: a note whose suffix is no
	// random hex, and a symbolic link with exactly the tool's pattern, which the tool never
	// makes and never follows.
	writeBytes(t, filepath.Join(f.dir, "apps", ".notes.chart-promoter-tmp-README"), []byte("kept\n"))
	f.decoys["apps/.notes.chart-promoter-tmp-README"] = "file"
	writeBytes(t, filepath.Join(f.dir, "outside.txt"), []byte("the link's target\n"))
	if err := os.Symlink("../outside.txt", filepath.Join(f.dir, "apps", ".webapp.yaml.chart-promoter-tmp-0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	f.decoys["apps/.webapp.yaml.chart-promoter-tmp-0123456789abcdef"] = "link"
	f.commit(t)
	// What runs killed mid-write left: this version (unlocked, since its process is gone)
	// and an older one, whose os.CreateTemp suffix was decimal.
	for _, rel := range []string{"apps/team-00/.webapp-production-0000.yaml.chart-promoter-2718281828", "apps/team-01/.webapp-staging-0001.yaml.chart-promoter-tmp-00c0ffee00c0ffee"} {
		writeBytes(t, filepath.Join(f.dir, filepath.FromSlash(rel)), []byte("half a manif"))
		f.planted = append(f.planted, rel)
	}
	slices.Sort(f.planted)
	return f
}

// crashDir is where the fleet lives: a tmpfs when there is one, since a kill leaves the page
// cache as it was (what is tested is the same on any file system) and a fleet of files
// is written there in milliseconds instead of seconds.
func crashDir(t *testing.T) string {
	t.Helper()
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "chart-promoter-crash-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// commit records the whole tree as the first commit of main. It goes through git
// fast-import, which writes one pack: `git add` writes a loose object per file, seconds
// for a fleet on a busy disk.
func (f *crashFleet) commit(t *testing.T) {
	t.Helper()
	var stream bytes.Buffer
	stream.WriteString("commit refs/heads/main\ncommitter test <test@example.com> 1700000000 +0000\ndata 5\nfleet\n")
	err := filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, f.dir+string(filepath.Separator)))
		mode, data := "100644", []byte(nil)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			mode, data = "120000", []byte(target)
		} else if data, err = os.ReadFile(p); err != nil {
			return err
		}
		fmt.Fprintf(&stream, "M %s inline %s\ndata %d\n%s\n", mode, rel, len(data), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.git(t, nil, "init", "--quiet", "--initial-branch=main")
	f.git(t, &stream, "fast-import", "--quiet")
	f.git(t, nil, "reset", "--quiet") // the index from the commit, with the files' stat data
}

func (f *crashFleet) git(t *testing.T, stdin *bytes.Buffer, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// check holds every fleet file to its original or its promoted bytes, and the decoys to
// what they were. It returns how many files are promoted and the tool's temporary files.
func (f *crashFleet) check(t *testing.T, when string) (promoted int, temps []string) {
	t.Helper()
	for rel, orig := range f.original {
		got := readBytes(t, filepath.Join(f.dir, filepath.FromSlash(rel)))
		switch {
		case bytes.Equal(got, f.edited[rel]):
			promoted++
		case !bytes.Equal(got, orig):
			t.Fatalf("%s: %s is neither its original nor its promoted bytes (torn?):\n%s", when, rel, got)
		}
	}
	for rel, kind := range f.decoys {
		info, err := os.Lstat(filepath.Join(f.dir, filepath.FromSlash(rel)))
		if err != nil || (kind == "link") != (info.Mode()&fs.ModeSymlink != 0) {
			t.Fatalf("%s: %s, which is not the tool's, was changed or removed: %v", when, rel, err)
		}
	}
	if got := readBytes(t, filepath.Join(f.dir, "outside.txt")); string(got) != "the link's target\n" {
		t.Fatalf("%s: the target of a link named like a temporary file was changed", when)
	}
	err := filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return fs.SkipDir
		}
		if rel := filepath.ToSlash(strings.TrimPrefix(p, f.dir+string(filepath.Separator))); manifest.IsTempName(d.Name()) && f.decoys[rel] == "" {
			temps = append(temps, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(temps)
	return promoted, temps
}

// child starts the CLI as a process of its own: this test binary, told by TestMain to run
// the command line.
func (f *crashFleet) child(t *testing.T, command string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := exampleQuickstartArgs(command, f.dir)
	// The mirror's layout path is relative to this package; the child runs here too.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// removedBy lists the files a run's stderr says it removed.
func removedBy(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(line, "removed "); ok {
			out = append(out, rest[:strings.Index(rest, ": ")])
		}
	}
	slices.Sort(out)
	return out
}

// crashKillPoints is how many times apply is killed: after about 1/(crashKillPoints+1) of
// the fleet is written, then 2/(crashKillPoints+1), and so on.
const crashKillPoints = 10

func TestAnApplyKilledAnywhereLeavesWholeFilesAndTheNextRunRemovesItsTemporaryFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL and flock are Unix")
	}
	f := newCrashFleet(t)

	// plan removes what killed runs left, of this version and of older ones, and nothing else.
	plan, stderr := f.child(t, "plan")
	if err := plan.Wait(); err != nil {
		t.Fatalf("plan: %v\n%s", err, stderr)
	}
	if got := removedBy(stderr.String()); !slices.Equal(got, f.planted) {
		t.Errorf("plan removed %q, want what was planted: %q; stderr:\n%s", got, f.planted, stderr)
	}
	if _, temps := f.check(t, "after plan"); len(temps) != 0 {
		t.Fatalf("plan left temporary files %q", temps)
	}

	// Each child applies what the ones before it left undone, and is killed as soon as the
	// fleet's next share is written. apply writes files in path order (a few at once), so
	// the share is written when the file at its end is: it is then a new inode, renamed
	// over the old one. Watching one file keeps the watcher off the child's CPU.
	original := f.inodes(t)
	sorted := slices.Sorted(maps.Keys(f.original))
	var kills, leftTemps int
	stale := []string(nil)
	for round := 1; ; round++ {
		mark := ""
		for _, rel := range sorted[min(round*len(sorted)/(crashKillPoints+1), len(sorted)-1):] {
			if f.inode(t, rel) == original[rel] {
				mark = rel // the first file of the share's end not yet written
				break
			}
		}
		cmd, stderr := f.child(t, "apply")
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
	watch:
		for {
			select {
			case err = <-done:
				break watch
			case <-time.After(time.Millisecond):
				if round <= crashKillPoints && mark != "" && f.inode(t, mark) != original[mark] {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					err = <-done
					break watch
				}
			}
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || !exit.Sys().(syscall.WaitStatus).Signaled() {
			if err != nil {
				t.Fatalf("round %d: apply failed: %v\n%s", round, err, stderr)
			}
			// A killed run prints nothing; the one that finished says what it removed.
			if got := removedBy(stderr.String()); !slices.Equal(got, stale) {
				t.Errorf("the last apply removed %q, want exactly what the run killed before it left: %q", got, stale)
			}
			break
		}
		kills++
		promoted, temps := f.check(t, fmt.Sprintf("after kill %d", kills))
		t.Logf("kill %d: %d of %d files promoted, %d temporary files left", kills, promoted, len(f.original), len(temps))
		if promoted == len(f.original) {
			t.Fatalf("kill %d came after apply had written every file: the test did not kill it mid-way", kills)
		}
		if len(temps) > 0 {
			leftTemps++
		}
		stale = temps
	}
	if kills < crashKillPoints/2 {
		t.Errorf("apply was killed %d times, want about %d: it finished before the kills landed", kills, crashKillPoints)
	}

	promoted, temps := f.check(t, "after the last apply")
	if promoted != len(f.original) || len(temps) != 0 {
		t.Errorf("after the last apply: %d of %d files promoted, temporary files %q", promoted, len(f.original), temps)
	}
	// git status shows the intended edits and nothing else: no untracked file at all.
	var want []string
	for rel := range f.original {
		want = append(want, " M "+rel)
	}
	slices.Sort(want)
	got := strings.Split(strings.TrimRight(f.git(t, nil, "status", "--porcelain", "--untracked-files=all"), "\n"), "\n")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("git status shows %d lines, want the %d edited files; the first that differ:\n%s", len(got), len(want), firstDifferentLines(got, want))
	}
	t.Logf("%d files, %d kills in the middle of apply, %d of them left temporary files, which the next run removed", len(f.original), kills, leftTemps)
}

// inodes returns the inode of each fleet file.
func (f *crashFleet) inodes(t *testing.T) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for rel := range f.original {
		out[rel] = f.inode(t, rel)
	}
	return out
}

// inode returns the inode of the fleet file rel, or 0 if it cannot be read.
func (f *crashFleet) inode(t *testing.T, rel string) uint64 {
	t.Helper()
	info, err := os.Lstat(filepath.Join(f.dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Errorf("%s is missing: %v", rel, err)
		return 0
	}
	return info.Sys().(*syscall.Stat_t).Ino
}

func firstDifferentLines(got, want []string) string {
	var b strings.Builder
	for i := 0; i < len(got) || i < len(want); i++ {
		g, w := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "got  %q\nwant %q\n", g, w)
			if b.Len() > 400 {
				break
			}
		}
	}
	return b.String()
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeBytes(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
