package promote

import (
	"strings"
	"testing"
)

func TestOldestFirstOpensTheGroupWhoseVersionWasReleasedFirst(t *testing.T) {
	at := func(s string) *recorded { return &recorded{created: s} }
	groups := []*group{
		{key: "a", changes: []Change{{recorded: at("2026-11-20T10:00:00Z")}}},
		{key: "b", changes: []Change{{}}}, // no release time: after those with one
		{key: "c", changes: []Change{{recorded: at("2026-11-25T10:00:00Z")}, {recorded: at("2026-11-01T10:00:00Z")}}},
		{key: "d", changes: []Change{{recorded: at("not a time")}}},
		{key: "e", changes: []Change{{recorded: at("2026-11-20T10:00:00Z")}}},
	}
	var got []string
	for _, g := range oldestFirst(groups, releaseTime) {
		got = append(got, g.key)
	}
	if want := "c a e b d"; strings.Join(got, " ") != want {
		t.Fatalf("order %v, want %s: oldest release first (a group's oldest version counts), ties and unknown times in the usual order", got, want)
	}
	var l *limiter
	if l.check() != nil {
		t.Error("no limiter holds something")
	}
	l = &limiter{}
	l.limits.MaxNewPerRun, l.limits.MaxOpen, l.open = 0, 3, 2
	if err := l.check(); err != nil {
		t.Fatalf("2 open of 3: %v", err)
	}
	l.add()
	if err := l.check(); err == nil || err.(*LimitError).Limit != "maxOpenPullRequests" {
		t.Fatalf("3 open of 3: %v, want maxOpenPullRequests", err)
	}
}
