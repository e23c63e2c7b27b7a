package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// DefaultInclude are the patterns scanned when no --include is given: YAML files, and
// kustomize's kustomization file without an extension.
var DefaultInclude = []string{"*.yaml", "*.yml", "Kustomization"}

// DefaultMaxFileSize bounds what one file may weigh; larger files are skipped, not parsed,
// because no Argo CD manifest is that large and parsing one would cost seconds and memory.
const DefaultMaxFileSize = 8 << 20

// Options control which files Discover reads.
type Options struct {
	// Include and Exclude filter files by relative path (see Glob); nil Include means DefaultInclude.
	Include, Exclude []*Glob
	// MaxFileSize skips larger files; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Mentioning, when set, limits parsing to files whose bytes contain one of these
	// strings (or a template's "{{"): a run about one chart reads its name and skips the
	// YAML parse of every file that cannot hold it. Files passed over this way are not
	// reported, not even when they would not parse.
	Mentioning []string
	// Concurrency bounds the files parsed at once; 0 means one per CPU.
	Concurrency int
	// Readers are offered each file in order, and the first that claims it reads it;
	// nil means DefaultReaders.
	Readers []Reader
	// Found, when set, is given each file's sources as soon as the file is scanned, while
	// the rest of the tree is still being read, so that a caller can start on them early
	// (a registry's answer takes longer than a file's parse). It is called from the
	// goroutines that scan, so concurrently, and never with an empty slice; the Result
	// holds every source all the same, in its order.
	Found func(sources []Source)
}

// Result is everything Discover found.
type Result struct {
	// Root is the scanned directory.
	Root string
	// Sources are the OCI chart sources, sorted by file and line.
	Sources []Source
	// Skipped are files and sources passed over on purpose, with reasons.
	Skipped []Skip
	// Problems are files that look like Argo CD manifests but cannot be read.
	Problems []Problem
	// Paths are the Applications' Git sources with a path, sorted by file and line.
	Paths []PathSource
	// Files holds a SHA-256 of each file that has a source, and of each file a source
	// would edit too (a chart's Chart.lock), so edits can refuse a file that changed after
	// it was read.
	Files map[string][sha256.Size]byte
	// Removed are the temporary files an interrupted run had left, removed by this one.
	Removed []string
	// UnmatchedInclude are the Include patterns that matched no file, and
	// UnmatchedExclude the Exclude patterns that left out no file Include selected:
	// patterns that do nothing, most likely by a typo, which the caller warns about.
	UnmatchedInclude, UnmatchedExclude []string
}

// Discover walks root and returns every OCI chart source of every Argo CD Application and
// ApplicationSet in it. Files that cannot be read are reported and the walk goes on; the
// error return is only for a root that cannot be walked at all.
func Discover(ctx context.Context, root string, opts Options) (*Result, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("cannot read directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	include := opts.Include
	if include == nil {
		include, _ = CompileGlobs(DefaultInclude)
	}
	maxSize := opts.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	res := &Result{Root: root, Files: map[string][sha256.Size]byte{}}
	readers := opts.Readers
	if readers == nil {
		readers = DefaultReaders()
	}
	tree := DirTree(root, maxSize)
	includeUsed := make([]bool, len(opts.Include))
	excludeUsed := make([]bool, len(opts.Exclude))

	// The walk hands each file to the scanners as it finds it, so parsing starts with the
	// first file rather than after the last directory is listed. Each file's scan lands in
	// its own slot of results, in walk order, which is the order the merge below needs.
	var results []*FileScan
	workers := opts.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		path string
		out  *FileScan
	}
	next := make(chan job, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				*j.out = readAndScan(root, j.path, maxSize, opts.Mentioning, readers, tree)
				if opts.Found != nil && len(j.out.sources) > 0 {
					opts.Found(j.out.sources)
				}
			}
		}()
	}
	var temps []string
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		rel := relPath(root, p)
		if err != nil {
			res.Problems = append(res.Problems, Problem{File: rel, Message: "cannot read: " + err.Error()})
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if IsTempName(d.Name()) {
			// Never a manifest, whatever --include says: an interrupted run's leftover.
			if d.Type().IsRegular() {
				temps = append(temps, p)
			}
			return nil
		}
		if opts.Include != nil {
			if !markMatches(opts.Include, includeUsed, rel) {
				return nil
			}
		} else if !matchAny(include, rel) {
			return nil
		}
		if markMatches(opts.Exclude, excludeUsed, rel) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// Never follow links: a target inside the tree is scanned where it lives, and a
			// target outside it is not ours to read or edit.
			res.Skipped = append(res.Skipped, Skip{File: rel, Reason: "symbolic link: not followed (its target is scanned where it lives, if inside the directory)"})
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err // checked again before a hand-off: a cancelled run reads no more files
		}
		j := job{path: p, out: &FileScan{}}
		results = append(results, j.out)
		select {
		case next <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	})
	close(next)
	if walkErr != nil {
		wg.Wait()
		return nil, walkErr
	}
	// While the last files are read: a leftover is never a manifest, so its removal can
	// run beside the reads.
	removeStaleTemps(root, temps, res)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res.UnmatchedInclude = unused(opts.Include, includeUsed)
	res.UnmatchedExclude = unused(opts.Exclude, excludeUsed)

	for _, r := range results {
		res.Sources = append(res.Sources, r.sources...)
		res.Skipped = append(res.Skipped, r.skipped...)
		res.Problems = append(res.Problems, r.problems...)
		res.Paths = append(res.Paths, r.paths...)
		if len(r.sources) > 0 {
			res.Files[r.file] = r.digest
			for f, digest := range r.related {
				res.Files[f] = digest
			}
		}
	}
	sort.SliceStable(res.Sources, func(i, j int) bool {
		a, b := res.Sources[i].Location, res.Sources[j].Location
		if fa, fb := res.Sources[i].File, res.Sources[j].File; fa != fb {
			return fa < fb
		}
		// Line and column, not offset: a location with a problem may have no offset.
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	sortByFileLine(res.Skipped, func(s Skip) (string, int) { return s.File, s.Line })
	sortByFileLine(res.Problems, func(p Problem) (string, int) { return p.File, p.Line })
	return res, nil
}

// removeStaleTemps removes the temporary files an interrupted run left (see tmpfile.go)
// and records them in res; one that cannot be removed is a problem, since a careless
// `git add -A` would commit it.
func removeStaleTemps(root string, temps []string, res *Result) {
	for _, p := range temps {
		rel := relPath(root, p)
		removed, err := removeStaleTemp(p)
		switch {
		case err != nil:
			res.Problems = append(res.Problems, Problem{File: rel, Message: "cannot remove this temporary file, which an interrupted chart-promoter run left: " + err.Error() + "; delete it by hand"})
		case removed:
			res.Removed = append(res.Removed, rel)
		}
	}
}

// markMatches reports whether relPath matches any of globs, and marks in used every
// glob it matches, so that patterns that match nothing can be told apart.
func markMatches(globs []*Glob, used []bool, relPath string) bool {
	matched := false
	for i, g := range globs {
		if g.Match(relPath) {
			used[i], matched = true, true
		}
	}
	return matched
}

func unused(globs []*Glob, used []bool) []string {
	var out []string
	for i, g := range globs {
		if !used[i] {
			out = append(out, g.String())
		}
	}
	return out
}

func sortByFileLine[T any](items []T, key func(T) (string, int)) {
	sort.SliceStable(items, func(i, j int) bool {
		fi, li := key(items[i])
		fj, lj := key(items[j])
		if fi != fj {
			return fi < fj
		}
		return li < lj
	})
}

func relPath(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// FileScan is what scanning one file produced: its sources, skips and problems.
type FileScan struct {
	file     string
	digest   [sha256.Size]byte
	sources  []Source
	skipped  []Skip
	problems []Problem
	// related are the other files the sources would edit (Chart.lock beside Chart.yaml),
	// with their SHA-256 as read.
	related map[string][sha256.Size]byte
	// paths are the Git sources with a path.
	paths []PathSource
}

// Sources returns the file's OCI chart sources.
func (r FileScan) Sources() []Source { return r.sources }

// Skipped returns what the scan passed over, with reasons.
func (r FileScan) Skipped() []Skip { return r.skipped }

// Problems returns what made the file unreadable as intended.
func (r FileScan) Problems() []Problem { return r.problems }

func readAndScan(root, p string, maxSize int64, mentioning []string, readers []Reader, tree Tree) FileScan {
	rel := relPath(root, p)
	f, info, err := openRegularInfo(p)
	if err != nil {
		return FileScan{file: rel, problems: []Problem{{File: rel, Message: "cannot read: " + err.Error()}}}
	}
	defer f.Close()
	// Read one byte past the limit so an oversized file is known without reading it all.
	data, err := readUpTo(f, info.Size(), maxSize+1)
	if err != nil {
		return FileScan{file: rel, problems: []Problem{{File: rel, Message: "cannot read: " + err.Error()}}}
	}
	if int64(len(data)) > maxSize {
		return FileScan{file: rel, skipped: []Skip{{File: rel, Reason: "larger than " + byteSize(maxSize) + ": not read"}}}
	}
	if len(mentioning) > 0 && !mentionsAny(data, mentioning) {
		return FileScan{file: rel}
	}
	for _, reader := range readers {
		if reader.Claims(rel, data) {
			return reader.Read(File{Name: rel, Data: data, Tree: tree})
		}
	}
	return FileScan{file: rel, digest: sha256.Sum256(data)}
}

// readUpTo reads f, whose size was size, to its end or to its first limit bytes, as
// io.ReadAll(io.LimitReader(f, limit)) would. A buffer sized from the file's size takes
// one read where io.ReadAll's growing one takes three or four: a fleet's thousands of
// files are small, and every read is a system call.
func readUpTo(f *os.File, size, limit int64) ([]byte, error) {
	// One byte more than the size, so the end shows in the second read, not a third.
	buf := make([]byte, 0, min(max(size+1, 512), limit))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) { // the file grew since: double, but not past the limit
			buf = slices.Grow(buf, int(min(int64(cap(buf)), limit-int64(len(buf)))))
		}
		n, err := f.Read(buf[len(buf):min(int64(cap(buf)), limit)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// openRegular opens the regular file at p, never what a symbolic link names. The walk saw
// a regular file, but the path may have become a link out of the directory since, or a
// named pipe, whose open would wait for a writer for ever.
func openRegular(p string) (*os.File, error) {
	f, _, err := openRegularInfo(p)
	return f, err
}

// openRegularInfo is openRegular, with what the opened file's Stat says.
func openRegularInfo(p string) (*os.File, fs.FileInfo, error) {
	before, err := os.Lstat(p)
	if err != nil {
		return nil, nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file but %s: chart-promoter reads and writes no other kind (if it changed while the directory was read, run again)", p, fileKind(before.Mode()))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	// The path may have been swapped between Lstat and Open: the file opened must be the
	// one that was checked.
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, nil, fmt.Errorf("%s was replaced while it was opened: run again", p)
	}
	return f, after, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// byteSize spells a size limit the way it was most likely set.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// mentionsAny reports whether data contains one of words or a template expression, which
// could produce any of them.
func mentionsAny(data []byte, words []string) bool {
	if bytes.Contains(data, []byte("{{")) {
		return true
	}
	for _, w := range words {
		if bytes.Contains(data, []byte(w)) {
			return true
		}
	}
	return false
}

// Scan reads every YAML document of one file and returns its OCI chart sources. name is
// the file's path as reported; data its bytes.
func Scan(name string, data []byte) (r FileScan) {
	r.file = name
	r.digest = sha256.Sum256(data)
	defer func() {
		// The parser is third-party code fed untrusted bytes: a panic in it must cost one
		// file, never the run.
		if v := recover(); v != nil {
			r.sources = nil
			r.problems = []Problem{{File: name, Message: fmt.Sprintf("YAML parser failed: %v", v)}}
		}
	}()
	if text, encoding, ok := utf16Text(data); ok {
		// Decoded only to tell an Argo CD manifest from another file: edits must keep
		// every byte, and the rewrite works on UTF-8.
		return classifyUnreadable(r, text, 1, "is encoded in "+encoding+", not UTF-8 (save it as UTF-8)")
	}
	if !utf8.Valid(data) {
		return classifyUnreadable(r, data, firstLineWhere(data, func(c rune, size int) bool { return c == utf8.RuneError && size == 1 }), "is not valid UTF-8")
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := yamlErrorLine(err)
			return classifyUnreadable(r, data, yamlLine(data, line, msg), "does not parse as YAML: "+msg)
		}
		docs = append(docs, &doc)
	}
	s := newScanner(name, data)
	for i, doc := range docs {
		if len(doc.Content) == 0 {
			continue
		}
		prefix := ""
		if len(docs) > 1 {
			prefix = "[doc " + strconv.Itoa(i+1) + "]."
		}
		s.document(doc.Content[0], prefix)
	}
	r.sources, r.skipped, r.problems, r.paths = mergeShared(s.sources), s.skipped, s.problems, s.paths
	return r
}

// utf16Text decodes data when it starts with a UTF-16 byte order mark; ok is false for
// any other file.
func utf16Text(data []byte) (text []byte, encoding string, ok bool) {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		order, encoding = binary.LittleEndian, "UTF-16LE"
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		order, encoding = binary.BigEndian, "UTF-16BE"
	default:
		return nil, "", false
	}
	units := make([]uint16, (len(data)-2)/2)
	for i := range units {
		units[i] = order.Uint16(data[2+2*i:])
	}
	return []byte(string(utf16.Decode(units))), encoding, true
}

// mergeShared folds sources that are the same value of the same chart into one. That
// happens when an ApplicationSet template writes a literal targetRevision while other
// fields use generator parameters: every generated Application then shares the value,
// and the source stands for all of them.
func mergeShared(sources []Source) []Source {
	out := sources[:0]
	seen := map[[2]string]int{}
	for _, src := range sources {
		key := [2]string{strconv.Itoa(src.Location.Offset) + ":" + src.Location.Path, src.Chart}
		if i, ok := seen[key]; ok {
			out[i].Application = src.ApplicationSet
			continue
		}
		seen[key] = len(out)
		out = append(out, src)
	}
	return out
}

// classifyUnreadable decides whether a file that does not parse is an error (it looks
// like an Argo CD manifest) or a skip (Helm templates, other tools' files).
func classifyUnreadable(r FileScan, data []byte, line int, msg string) FileScan {
	switch {
	case !bytes.Contains(data, []byte("argoproj.io")):
		r.skipped = append(r.skipped, Skip{File: r.file, Line: line, Reason: "not an Argo CD manifest: it " + msg})
	case bytes.Contains(data, []byte("{{")):
		r.skipped = append(r.skipped, Skip{File: r.file, Line: line, Reason: "a template, not plain YAML: it " + msg})
	default:
		r.problems = append(r.problems, Problem{File: r.file, Line: line, Message: "looks like an Argo CD manifest but " + msg + "; fix the YAML or exclude the file with --exclude"})
	}
	return r
}

// YAMLErrorLine returns the 1-based line of the file and the message of err, an error of
// go.yaml.in/yaml/v3 decoding data, so that every reader of YAML files reports lines alike.
func YAMLErrorLine(data []byte, err error) (int, string) {
	line, msg := yamlErrorLine(err)
	return yamlLine(data, line, msg), msg
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlErrorLine splits "yaml: line 5: message" into 5 and "message".
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// parserErrorRE matches the messages of go.yaml.in/yaml/v3's parser, as opposed to its
// scanner and reader.
var parserErrorRE = regexp.MustCompile(`^(did not find expected (<stream-start>|<document start>|node content|'-' indicator|key|',' or '\]'|',' or '\}')|found (undefined tag handle|duplicate %YAML directive|incompatible YAML document|duplicate %TAG directive))$`)

// yamlLine turns the line a YAML error message gives into the 1-based line of the file.
// go.yaml.in/yaml/v3 prints 1-based lines for scanner errors but 0-based ones for parser
// errors (and none at all for line 0), and its reader reports a refused character by
// byte offset only.
func yamlLine(data []byte, line int, msg string) int {
	switch {
	case parserErrorRE.MatchString(msg):
		return line + 1
	case line == 0 && strings.HasPrefix(msg, "control characters are not allowed"):
		return firstLineWhere(data, func(c rune, _ int) bool { return !yamlPrintable(c) })
	case line == 0:
		// The message leaves the line out when the parser's mark is on the first one
		// (a single line nested 10,001 levels deep, say).
		return 1
	}
	return line
}

// yamlPrintable mirrors the YAML reader's check of which characters a stream may hold.
func yamlPrintable(c rune) bool {
	return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
		(c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)
}

// firstLineWhere returns the 1-based line of the first character for which bad is true
// (lines broken at LF), or 0 when there is none.
func firstLineWhere(data []byte, bad func(c rune, size int) bool) int {
	line := 1
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		if bad(c, size) {
			return line
		}
		if c == '\n' {
			line++
		}
		i += size
	}
	return 0
}
