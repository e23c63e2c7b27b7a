package stage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/stage"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

const (
	stagingFile = "apps/staging/webapp.yaml"
	chart       = "ghcr.io/acme/charts/webapp"
	revPath     = "spec.source.targetRevision"
)

func app(rev, replicas string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: webapp-staging
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ghcr.io/acme/charts
    chart: webapp
    targetRevision: %s
    helm:
      parameters:
        - name: replicas
          value: "%s"
  destination:
    server: https://kubernetes.default.svc
    namespace: webapp
`, rev, replicas)
}

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// history pushes the staging file's story to a new repository "fleet" on srv, one dated
// commit per step.
func history(t *testing.T, srv *testenv.GitServer, steps ...step) {
	t.Helper()
	srv.CreateRepo(t, "fleet", map[string]string{"README.md": "# fleet\n"})
	dir := srv.Clone(t, "fleet")
	for _, s := range steps {
		srv.CommitAt(t, dir, "main", map[string]string{stagingFile: app(s.rev, s.replicas)}, "staging: "+s.rev, now.Add(-s.ago))
		// Unrelated commits between the changes: they must not move the clock.
		srv.CommitAt(t, dir, "main", map[string]string{"README.md": "# fleet " + s.rev + "\n"}, "docs", now.Add(-s.ago).Add(time.Minute))
	}
}

type step struct {
	rev, replicas string
	ago           time.Duration
}

func open(t *testing.T, dir string) (*gitrepo.Repo, plumbing.Hash) {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	return repo, head
}

func TestReadRunsFollowsTheFirstParentHistoryOfTheFile(t *testing.T) {
	day := 24 * time.Hour
	srv := testenv.StartGitServer(t)
	history(t, srv,
		step{"1.3.0", "1", 10 * day},
		step{"1.4.0", "1", 3 * day},
		step{"1.4.0", "3", 2 * day}, // the same version, other values: the same run
		step{"1.4.2", "3", 2 * time.Hour},
	)
	repo, head := open(t, srv.Clone(t, "fleet"))
	runs, err := stage.ReadRuns(context.Background(), repo, head, stagingFile, stage.SourceVersion(stagingFile, chart, revPath), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s@%s", r.Version, now.Sub(r.Start)))
	}
	want := []string{"1.4.2@2h0m0s", "1.4.0@72h0m0s", "1.3.0@240h0m0s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("runs = %v, want %v", got, want)
	}
	d := stage.Decide([]stage.Upstream{{Runs: runs}}, day, now)
	if d.Version == nil || d.Version.String() != "1.4.0" {
		t.Fatalf("production gets %v, want 1.4.0", d.Version)
	}
	if len(d.Pending) != 1 || !d.Pending[0].Until.Equal(now.Add(22*time.Hour)) {
		t.Fatalf("pending = %+v, want 1.4.2 until %s", d.Pending, now.Add(22*time.Hour))
	}
}

func TestReadRunsStopsOnceADownstreamVersionIsReached(t *testing.T) {
	day := 24 * time.Hour
	srv := testenv.StartGitServer(t)
	history(t, srv, step{"1.2.0", "1", 20 * day}, step{"1.3.0", "1", 10 * day}, step{"1.4.0", "1", 3 * day})
	repo, head := open(t, srv.Clone(t, "fleet"))
	at := mustVersion(t, "1.3.0")
	runs, err := stage.ReadRuns(context.Background(), repo, head, stagingFile, stage.SourceVersion(stagingFile, chart, revPath), &at)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].Version.String() != "1.3.0" || !runs[1].Start.Equal(now.Add(-10*day)) {
		t.Fatalf("runs = %+v, want 1.4.0 and the whole 1.3.0 run", runs)
	}
}

func TestAShallowCloneIsDeepenedNotGuessed(t *testing.T) {
	day := 24 * time.Hour
	srv := testenv.StartGitServer(t)
	history(t, srv, step{"1.3.0", "1", 10 * day}, step{"1.4.0", "1", 3 * day})
	repo, head := open(t, srv.Clone(t, "fleet", testenv.CloneDepth(1)))
	read := stage.SourceVersion(stagingFile, chart, revPath)
	_, err := stage.ReadRuns(context.Background(), repo, head, stagingFile, read, nil)
	var shallow *gitrepo.ShallowError
	if !errors.As(err, &shallow) {
		t.Fatalf("err = %v, want a *gitrepo.ShallowError", err)
	}
	if err := repo.Deepen(context.Background(), "main", 50); err != nil {
		t.Fatal(err)
	}
	runs, err := stage.ReadRuns(context.Background(), repo, head, stagingFile, read, nil)
	if err != nil {
		t.Fatalf("after deepening: %v", err)
	}
	if len(runs) != 2 || !runs[0].Start.Equal(now.Add(-3*day)) {
		t.Fatalf("runs = %+v", runs)
	}
}

func mustVersion(t *testing.T, s string) version.Version {
	t.Helper()
	v, err := version.ParseRevision(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
