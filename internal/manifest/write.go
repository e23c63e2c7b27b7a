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
