package manifest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
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
	type prepared struct {
		out  []byte
		perm os.FileMode
	}
	ready := make([]*prepared, len(files))
	for i, f := range files {
		h, err := openRegular(f.Path)
		if err != nil {
			return nil, err
		}
		info, err := h.Stat()
		if err != nil {
			h.Close()
			return nil, err
		}
		data, err := io.ReadAll(h)
		h.Close()
		if err != nil {
			return nil, err
		}
		if sha256.Sum256(data) != f.Digest {
			return nil, fmt.Errorf("%s changed after it was read; run again to plan from its new content", filepath.Base(f.Path))
		}
		out, err := Rewrite(data, f.Edits)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f.Path), err)
		}
		if !bytes.Equal(out, data) {
			ready[i] = &prepared{out: out, perm: info.Mode().Perm()}
		}
	}
	changed := make([]bool, len(files))
	for i, p := range ready {
		if p == nil {
			continue
		}
		if err := writeAtomic(files[i].Path, p.out, p.perm); err != nil {
			return changed, fmt.Errorf("%s: %w (the files before it in the list were written)", filepath.Base(files[i].Path), err)
		}
		changed[i] = true
	}
	return changed, nil
}
