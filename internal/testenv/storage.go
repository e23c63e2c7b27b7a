package testenv

import (
	"context"
	"fmt"
	"testing"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/factory"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// handlers.NewApp only accepts a storage driver by name, through
// Distribution's process-wide factory registry, and keeps the driver it
// creates to itself. So one factory is registered, and it hands back
// whatever driver instance the configuration carries: each registry passes
// its own memDriver and keeps a reference for TagMany.
const (
	sharedDriverName  = "testenv-shared"
	sharedDriverParam = "instance"
)

func init() {
	factory.Register(sharedDriverName, sharedDriverFactory{})
}

type sharedDriverFactory struct{}

func (sharedDriverFactory) Create(_ context.Context, params map[string]any) (storagedriver.StorageDriver, error) {
	d, ok := params[sharedDriverParam].(storagedriver.StorageDriver)
	if !ok {
		return nil, fmt.Errorf("testenv: storage parameter %q is not a driver", sharedDriverParam)
	}
	return d, nil
}

// TagMany tags the manifest with digest dgst, which must already be in
// repository, with every tag in tags by writing straight into the
// registry's storage: no HTTP, so fleets of many thousands of tags set up
// in seconds.
func (r *Registry) TagMany(tb testing.TB, repository, dgst string, tags []string) {
	tb.Helper()
	ctx := context.Background()
	named, err := reference.WithName(repository)
	if err != nil {
		tb.Fatalf("testenv: TagMany: %v", err)
	}
	d, err := digest.Parse(dgst)
	if err != nil {
		tb.Fatalf("testenv: TagMany: %v", err)
	}
	// Storage would happily link a tag to a missing manifest; the registry
	// would then answer 404 for it, which is a harness bug, not a test case.
	repo, err := r.namespace.Repository(ctx, named)
	if err != nil {
		tb.Fatalf("testenv: TagMany: %v", err)
	}
	manifests, err := repo.Manifests(ctx)
	if err != nil {
		tb.Fatalf("testenv: TagMany: %v", err)
	}
	if ok, err := manifests.Exists(ctx, d); err != nil || !ok {
		tb.Fatalf("testenv: TagMany: manifest %s not in %s (err=%v)", dgst, repository, err)
	}

	// Distribution's TagService.Tag writes exactly these two link files,
	// but spends ~25 µs per tag on building paths; TestTagManyWritesWhatTagServiceWrites
	// keeps this copy of its layout honest.
	paths := make([]string, 0, 2*len(tags))
	for _, tag := range tags {
		if _, err := reference.WithTag(named, tag); err != nil {
			tb.Fatalf("testenv: TagMany: %v", err)
		}
		dir := "/docker/registry/v2/repositories/" + repository + "/_manifests/tags/" + tag
		paths = append(paths,
			dir+"/index/"+d.Algorithm().String()+"/"+d.Encoded()+"/link",
			dir+"/current/link")
	}
	if err := r.driver.putShared(paths, []byte(d.String())); err != nil {
		tb.Fatalf("testenv: TagMany: %v", err)
	}
}
