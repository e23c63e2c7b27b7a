package manifest

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
)

// countingContext counts the calls of Err, which Discover makes from its walk: once per
// entry and once before each hand-off of a file to a reader.
type countingContext struct {
	context.Context
	calls atomic.Int64
}

func (c *countingContext) Err() error {
	c.calls.Add(1)
	return c.Context.Err()
}

func TestDiscoverHandsOverAFilesSourcesBeforeTheWalkEnds(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	const files = 12
	for i := range files {
		writeFile(t, filepath.Join(root, fmt.Sprintf("app-%02d.yaml", i)), []byte(application(t, fmt.Sprintf("app-%02d", i))))
	}
	ctx := &countingContext{Context: context.Background()}
	var first atomic.Int64
	res, err := Discover(ctx, root, Options{Concurrency: 1, Found: func(sources []Source) {
		first.CompareAndSwap(0, ctx.calls.Load())
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sources) != files {
		t.Fatalf("discovered %d sources, want %d", len(res.Sources), files)
	}
	// One reader and a hand-off queue of one: when the first file's sources are handed over
	// the walk is at most two files further (the root, then two calls per file).
	if got, limit := first.Load(), int64(1+2*3); got == 0 || got > limit {
		t.Errorf("the first sources were handed over after %d calls of the walk, want at most %d of its %d: Discover must hand them over while it walks", got, limit, ctx.calls.Load())
	}
}

func TestDiscoverHandsOverEverySourceItReturnsExactlyOnce(t *testing.T) {
	t.Parallel()
	root, opts := hostileTree(t, 300)
	var mu sync.Mutex
	var handed []Source
	empty := 0
	opts.Concurrency = 4
	opts.Found = func(sources []Source) {
		mu.Lock()
		defer mu.Unlock()
		if len(sources) == 0 {
			empty++
		}
		handed = append(handed, sources...)
	}
	res := discoverBounded(t, context.Background(), root, opts, 1024*mib)
	if len(res.Sources) < 100 {
		t.Fatalf("the tree yields %d sources: it is not the mix it should be", len(res.Sources))
	}
	if empty > 0 {
		t.Errorf("Found was called %d times with no source", empty)
	}
	key := func(s Source) string {
		return fmt.Sprintf("%s:%d:%d:%s", s.File, s.Location.Line, s.Location.Column, s.Chart)
	}
	sort.Slice(handed, func(i, j int) bool { return key(handed[i]) < key(handed[j]) })
	want := append([]Source(nil), res.Sources...)
	sort.Slice(want, func(i, j int) bool { return key(want[i]) < key(want[j]) })
	if !reflect.DeepEqual(handed, want) {
		t.Errorf("Found was given %d sources, Discover returned %d: want the same ones", len(handed), len(want))
	}
}
