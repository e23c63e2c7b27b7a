package manifest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// EditFile applies edits to one file on disk. It refuses when the file's bytes no longer
// hash to digest (it changed after discovery read it), and it writes through a temporary
// file in the same directory and a rename, keeping the file's mode, so a reader or a crash
// never sees a half-written manifest. It reports whether the bytes changed.
func EditFile(path string, digest [sha256.Size]byte, edits []Edit) (bool, error) {
	// openRegular refuses a path that is a symbolic link now, even if it was a regular
	// file when discovery read it: the write must not reach outside the directory.
	f, err := openRegular(path)
	if err != nil {
		return false, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return false, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return false, err
	}
	if sha256.Sum256(data) != digest {
		return false, fmt.Errorf("the file changed after it was read; run again to plan from its new content")
	}
	out, err := Rewrite(data, edits)
	if err != nil {
		return false, err
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	if err := writeAtomic(path, out, info.Mode().Perm()); err != nil {
		return false, err // the file is as it was
	}
	return true, nil
}

// writeAtomic replaces path with data through a locked temporary file beside it (see
// tmpfile.go): synced before the rename, so that neither a kill nor a power cut leaves a
// torn file at path, and removed when anything fails.
func writeAtomic(path string, data []byte, perm os.FileMode) (err error) {
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	// Closed only after the rename: until then the lock says the file is in use.
	defer tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if !stillAt(tmp, tmp.Name()) {
		return fmt.Errorf("the temporary file %s was removed while it was written (another run cleaning up?); run again", filepath.Base(tmp.Name()))
	}
	return os.Rename(tmp.Name(), path)
}

// FileEdits is one file's part in EditFiles.
type FileEdits struct {
	Path   string
	Digest [sha256.Size]byte
	Edits  []Edit
}

// EditFiles applies edits to files that stand or fall together (a chart's Chart.yaml and
// Chart.lock, whose digest covers both): every file is read, checked against its digest
// and rewritten in memory before any is written, so a refusal of one leaves all of them
// as they were. Each is then replaced atomically, as EditFile does. It reports which
// files changed.
func EditFiles(files []FileEdits) ([]bool, error) {
	res, err := WriteBundle(Bundle{Edits: files})
	return res.Edited, err
}

// NewFile is a file a Bundle adds: a vendored chart archive. The directory it goes in
// must exist.
type NewFile struct {
	Path string
	Data []byte
	Perm os.FileMode
}

// Removal is a file a Bundle removes, provided its bytes still hash to Digest.
type Removal struct {
	Path   string
	Digest [sha256.Size]byte
}

// Bundle is the files one chart's change writes together: the edits of its Chart.yaml and
// Chart.lock, and the vendored archives it adds to and removes from charts/.
type Bundle struct {
	Edits  []FileEdits
	Add    []NewFile
	Remove []Removal
}

// BundleResult says what WriteBundle changed: Edited[i] for Edits[i], Added[i] for
// Add[i] (false when the file was there already with those bytes), Removed[i] for
// Remove[i].
type BundleResult struct {
	Edited, Added, Removed []bool
}

// WriteBundle writes b's files so that nothing is half-written: every file is read and
// checked first (an edited or removed file against the digest it was planned from, an
// added one for a file of other content in its place), and nothing is written when any
// check fails. Then, each step atomic on its own (a temporary file and a rename, as
// EditFile), the new archives are added, the old ones removed, and Chart.yaml and
// Chart.lock edited last. A run killed in between leaves a tree the next run completes:
// with the new archive beside the old one, or without the old one, Chart.yaml and
// Chart.lock still name the old version and the next plan moves them (re-adding the same
// bytes is a no-op); edited files are only written once every archive is in place.
func WriteBundle(b Bundle) (BundleResult, error) {
	res := BundleResult{Edited: make([]bool, len(b.Edits)), Added: make([]bool, len(b.Add)), Removed: make([]bool, len(b.Remove))}
	type prepared struct {
		out  []byte
		perm os.FileMode
	}
	ready := make([]*prepared, len(b.Edits))
	for i, f := range b.Edits {
		data, info, err := readRegular(f.Path)
		if err != nil {
			return res, err
		}
		if sha256.Sum256(data) != f.Digest {
			return res, fmt.Errorf("%s changed after it was read; run again to plan from its new content", filepath.Base(f.Path))
		}
		out, err := Rewrite(data, f.Edits)
		if err != nil {
			return res, fmt.Errorf("%s: %w", filepath.Base(f.Path), err)
		}
		if !bytes.Equal(out, data) {
			ready[i] = &prepared{out: out, perm: info.Mode().Perm()}
		}
	}
	adds := make([]bool, len(b.Add))
	for i, a := range b.Add {
		if err := realDirectory(filepath.Dir(a.Path)); err != nil {
			return res, err
		}
		data, _, err := readRegular(a.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			adds[i] = true
		case err != nil:
			return res, err
		case !bytes.Equal(data, a.Data):
			return res, fmt.Errorf("%s is there already with other content: remove it (or run helm dependency build) and run again", filepath.Base(a.Path))
		}
	}
	for _, r := range b.Remove {
		data, _, err := readRegular(r.Path)
		if err != nil {
			return res, err
		}
		if sha256.Sum256(data) != r.Digest {
			return res, fmt.Errorf("%s changed after it was read; run again to plan from its new content", filepath.Base(r.Path))
		}
	}
	for i, a := range b.Add {
		if !adds[i] {
			continue
		}
		if err := writeAtomic(a.Path, a.Data, a.Perm); err != nil {
			return res, fmt.Errorf("%s: %w (nothing else of the chart's change was written)", filepath.Base(a.Path), err)
		}
		res.Added[i] = true
	}
	for i, r := range b.Remove {
		if err := os.Remove(r.Path); err != nil {
			return res, fmt.Errorf("%s: %w (the new archives were added; run again to finish)", filepath.Base(r.Path), err)
		}
		res.Removed[i] = true
	}
	for i, p := range ready {
		if p == nil {
			continue
		}
		if err := writeAtomic(b.Edits[i].Path, p.out, p.perm); err != nil {
			return res, fmt.Errorf("%s: %w (the files before it in the list were written)", filepath.Base(b.Edits[i].Path), err)
		}
		res.Edited[i] = true
	}
	return res, nil
}

// readRegular reads the regular file at p, never through a symbolic link.
func readRegular(p string) ([]byte, os.FileInfo, error) {
	f, err := openRegular(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(f)
	return data, info, err
}

// realDirectory refuses a directory that is a symbolic link: a file added there would
// land wherever it points, perhaps outside the scanned directory.
func realDirectory(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory but %s: chart-promoter writes archives only into a real charts/ directory", dir, fileKind(info.Mode()))
	}
	return nil
}
