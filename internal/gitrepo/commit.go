package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Signature is who made a commit and when.
type Signature struct {
	Name, Email string
	When        time.Time
}

// Commit is a commit read from the object store.
type Commit struct {
	Hash      plumbing.Hash
	Message   string
	Author    Signature
	Committer Signature
	Parents   []plumbing.Hash
	Tree      plumbing.Hash
}

// Commit reads commit hash, which must be in the local object store (Fetch brings remote branches there).
func (r *Repo) Commit(hash plumbing.Hash) (*Commit, error) {
	c, err := r.commit(hash)
	if err != nil {
		return nil, err
	}
	return &Commit{
		Hash:      c.Hash,
		Message:   c.Message,
		Author:    Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
		Committer: Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
		Parents:   c.ParentHashes,
		Tree:      c.TreeHash,
	}, nil
}

func (r *Repo) commit(hash plumbing.Hash) (*object.Commit, error) {
	c, err := object.GetCommit(r.repo.Storer, hash)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("read commit %s in %s: %w (fetch the branch that contains it first; the clone may be shallow)", hash, r.root, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s in %s: %w", hash, r.root, err)
	}
	return c, nil
}

// ReadFile returns the content of file path (relative to the repository root) at commit; the error wraps fs.ErrNotExist when the commit has no such file.
func (r *Repo) ReadFile(commit plumbing.Hash, path string) ([]byte, error) {
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, commit, err)
	}
	c, err := r.commit(commit)
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: tree %s: %w", path, commit, c.TreeHash, err)
	}
	// Not tree.File: it reports a blob missing from the store (a partial
	// clone) as "file not found", which would read as "no such file".
	e, err := tree.FindEntry(path)
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, &fs.PathError{Op: "read", Path: path + " at commit " + commit.String(), Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, commit, err)
	}
	if !e.Mode.IsFile() {
		return nil, fmt.Errorf("read %s at %s: it is a %s, not a file", path, commit, describeMode(e.Mode))
	}
	blob, err := object.GetBlob(r.repo.Storer, e.Hash)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: blob %s: %w (a partial clone may lack it; clone without --filter)", path, commit, e.Hash, err)
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: blob %s: %w", path, commit, e.Hash, err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: blob %s: %w", path, commit, e.Hash, err)
	}
	return b, nil
}

// CommitFiles writes a commit whose tree is parent's tree with files (paths relative to the repository root) written over it, keeping the mode of files it replaces; it moves no ref and leaves the work tree and index alone.
//
// A message without a final newline gets one, as git commit does. A zero
// When in a signature means now. The commit is written even when files
// change nothing; compare its Tree with the parent's to detect that.
func (r *Repo) CommitFiles(parent plumbing.Hash, files map[string][]byte, message string, author, committer Signature) (plumbing.Hash, error) {
	return r.CommitChanges(parent, files, nil, message, author, committer)
}

// CommitChanges is CommitFiles that also removes the files removed (paths relative to the repository root) from parent's tree; each must be a file there, and a directory left empty goes too, as Git keeps no empty trees.
func (r *Repo) CommitChanges(parent plumbing.Hash, files map[string][]byte, removed []string, message string, author, committer Signature) (plumbing.Hash, error) {
	for _, sig := range []Signature{author, committer} {
		if err := checkSignature(sig); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("commit on %s: %w", parent, err)
		}
	}
	changes := make(map[string]*[]byte, len(files)+len(removed))
	for p, content := range files {
		if err := checkPath(p); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("commit on %s: %w", parent, err)
		}
		changes[p] = &content
	}
	for _, p := range removed {
		if err := checkPath(p); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("commit on %s: %w", parent, err)
		}
		if _, ok := files[p]; ok {
			return plumbing.ZeroHash, fmt.Errorf("commit on %s: %s is both written and removed", parent, p)
		}
		changes[p] = nil
	}
	pc, err := r.commit(parent)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tree, err := r.writeTree(pc.TreeHash, "", changes)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit on %s: %w", parent, err)
	}
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	now := time.Now()
	c := &object.Commit{
		Author:       toObject(author, now),
		Committer:    toObject(committer, now),
		Message:      message,
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{parent},
	}
	h, err := r.store(c)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit on %s: %w", parent, err)
	}
	return h, nil
}

func toObject(s Signature, now time.Time) object.Signature {
	if s.When.IsZero() {
		s.When = now
	}
	return object.Signature{Name: s.Name, Email: s.Email, When: s.When}
}

// checkSignature refuses what go-git would write verbatim into the commit
// header and so corrupt it.
func checkSignature(s Signature) error {
	if s.Name == "" || s.Email == "" {
		return fmt.Errorf("signature %q <%s>: name and email are required", s.Name, s.Email)
	}
	if strings.ContainsAny(s.Name+s.Email, "<>\n") {
		return fmt.Errorf("signature %q <%s>: name and email must not contain '<', '>' or a newline", s.Name, s.Email)
	}
	return nil
}

// checkPath accepts clean, relative, slash-separated paths that stay inside
// the repository and do not reach into .git.
func checkPath(p string) error {
	if p == "" || p != path.Clean(p) || path.IsAbs(p) || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("path %q: want a clean slash-separated path inside the repository, relative to its root", p)
	}
	for _, part := range strings.Split(p, "/") {
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("path %q: files under .git cannot be committed", p)
		}
	}
	return nil
}

// writeTree stores a copy of tree (zero for a directory that does not exist
// yet) with changes, given relative to it, made to it (a nil content removes
// the file), and returns the copy's hash, zero when the copy is empty. Only
// directories on the way to a changed file are rewritten; every other entry
// keeps its hash, so the commit changes exactly files.
func (r *Repo) writeTree(tree plumbing.Hash, dir string, changes map[string]*[]byte) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !tree.IsZero() {
		t, err := object.GetTree(r.repo.Storer, tree)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s of %q: %w", tree, dir+"/", err)
		}
		entries = append(entries, t.Entries...)
	}
	index := make(map[string]int, len(entries))
	for i, e := range entries {
		index[e.Name] = i
	}

	subdirs := map[string]map[string]*[]byte{}
	var gone []string
	for p, content := range changes {
		name, rest, nested := strings.Cut(p, "/")
		if nested {
			if subdirs[name] == nil {
				subdirs[name] = map[string]*[]byte{}
			}
			subdirs[name][rest] = content
			continue
		}
		full := path.Join(dir, name)
		i, exists := index[name]
		if content == nil {
			if !exists || !entries[i].Mode.IsFile() {
				return plumbing.ZeroHash, fmt.Errorf("remove %s: it is not a file in the parent commit", full)
			}
			gone = append(gone, name)
			continue
		}
		mode := filemode.Regular
		if exists {
			switch m := entries[i].Mode; m {
			case filemode.Regular, filemode.Executable, filemode.Deprecated:
				mode = m
			case filemode.Dir:
				return plumbing.ZeroHash, fmt.Errorf("write %s: it is a directory in the parent commit", full)
			default:
				return plumbing.ZeroHash, fmt.Errorf("write %s: it is a %s in the parent commit, not a regular file; edit the file it points to", full, describeMode(m))
			}
		}
		h, err := r.storeBlob(*content)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write %s: %w", full, err)
		}
		entries = upsert(entries, index, object.TreeEntry{Name: name, Mode: mode, Hash: h})
	}

	for name, sub := range subdirs {
		full := path.Join(dir, name)
		var subtree plumbing.Hash
		if i, ok := index[name]; ok {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("write under %s/: it is a %s in the parent commit, not a directory", full, describeMode(entries[i].Mode))
			}
			subtree = entries[i].Hash
		}
		h, err := r.writeTree(subtree, full, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h.IsZero() {
			gone = append(gone, name) // emptied by the removals
			continue
		}
		entries = upsert(entries, index, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	entries = slices.DeleteFunc(entries, func(e object.TreeEntry) bool { return slices.Contains(gone, e.Name) })
	if len(entries) == 0 && dir != "" {
		return plumbing.ZeroHash, nil
	}

	sortEntries(entries)
	return r.store(&object.Tree{Entries: entries})
}

func upsert(entries []object.TreeEntry, index map[string]int, e object.TreeEntry) []object.TreeEntry {
	if i, ok := index[e.Name]; ok {
		entries[i] = e
		return entries
	}
	index[e.Name] = len(entries)
	return append(entries, e)
}

// sortEntries puts entries in git's tree order, which compares a
// directory's name as if it ended in "/"; git fsck rejects other orders.
func sortEntries(entries []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
}

func describeMode(m filemode.FileMode) string {
	switch m {
	case filemode.Symlink:
		return "symbolic link"
	case filemode.Submodule:
		return "submodule"
	case filemode.Dir:
		return "directory"
	}
	return "file with mode " + m.String()
}

func (r *Repo) storeBlob(content []byte) (plumbing.Hash, error) {
	obj := r.repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	if _, err := w.Write(content); err != nil {
		w.Close()
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	return r.repo.Storer.SetEncodedObject(obj)
}

// encoder is what object.Tree and object.Commit share for writing.
type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (r *Repo) store(o encoder) (plumbing.Hash, error) {
	obj := r.repo.Storer.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode %T: %w", o, err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store %T in %s: %w", o, r.root, err)
	}
	return h, nil
}
