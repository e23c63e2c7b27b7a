package promote

import (
	"context"
	"strings"
	"sync"
)

// hostLimits bounds the registry work in flight to each registry host, every host on its
// own: a registry that answers slowly fills its own places and holds up no other.
type hostLimits struct {
	per   int
	mu    sync.Mutex
	slots map[string]chan struct{}
}

func newHostLimits(per int) *hostLimits {
	if per <= 0 {
		per = DefaultConcurrency
	}
	return &hostLimits{per: per, slots: map[string]chan struct{}{}}
}

// acquire waits for one of host's places, or for ctx to end; release gives it back.
func (l *hostLimits) acquire(ctx context.Context, host string) (release func(), err error) {
	l.mu.Lock()
	slots := l.slots[host]
	if slots == nil {
		slots = make(chan struct{}, l.per)
		l.slots[host] = slots
	}
	l.mu.Unlock()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// registryHost is the host part of a normalised chart reference (host/path/name). A
// mirror may serve several hosts from one, or one from several: the limit follows the
// name a source gives, which is what a user reads and sets --concurrency by.
func registryHost(chart string) string {
	host, _, _ := strings.Cut(chart, "/")
	return host
}
