package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// dirTree is a Tree over a directory on disk.
type dirTree struct {
	root    string
	maxSize int64
}

// DirTree returns the Tree of the directory root, whose files are read no larger than
// maxSize bytes (0 means DefaultMaxFileSize).
func DirTree(root string, maxSize int64) Tree {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	return dirTree{root: root, maxSize: maxSize}
}

// resolve turns a slash path inside the tree into a path on disk, refusing one that
// climbs out of it.
func (t dirTree) resolve(rel string) (string, error) {
	clean := path.Clean(rel)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%s lies outside the scanned directory", rel)
	}
	return filepath.Join(t.root, filepath.FromSlash(clean)), nil
}

// ReadFile reads a regular file of the tree, never through a symbolic link.
func (t dirTree) ReadFile(rel string) ([]byte, error) {
	p, err := t.resolve(rel)
	if err != nil {
		return nil, err
	}
	f, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, t.maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > t.maxSize {
		return nil, fmt.Errorf("%s is larger than %s: not read", rel, byteSize(t.maxSize))
	}
	return data, nil
}

// ReadDir lists a directory of the tree.
func (t dirTree) ReadDir(rel string) ([]fs.DirEntry, error) {
	p, err := t.resolve(rel)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(p)
}
