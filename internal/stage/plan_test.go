package stage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/stage"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

const day = 24 * time.Hour

// fleet is a Git repository of Applications whose history a test writes commit by commit.
type fleet struct {
	t   *testing.T
	srv *testenv.GitServer
	dir string // the working clone commits are made in
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	srv := testenv.StartGitServer(t)
	srv.CreateRepo(t, "fleet", map[string]string{"README.md": "# fleet\n"})
	return &fleet{t: t, srv: srv, dir: srv.Clone(t, "fleet")}
}

// set commits, at ago before now, the Applications name → targetRevision, each in
// apps/<name>.yaml.
func (f *fleet) set(ago time.Duration, apps ...string) {
	f.t.Helper()
	files := map[string]string{}
	for i := 0; i+1 < len(apps); i += 2 {
		files["apps/"+apps[i]+".yaml"] = application(f.t, apps[i], apps[i+1])
	}
	f.srv.CommitAt(f.t, f.dir, "main", files, "set "+strings.Join(apps, " "), now.Add(-ago))
}

func application(t *testing.T, name, rev string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "application.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(string(tmpl), name, rev)
}

// checkout clones the fleet as a run would and discovers its sources.
func (f *fleet) checkout(opts ...testenv.CloneOption) (string, []manifest.Source) {
	f.t.Helper()
	dir := f.srv.Clone(f.t, "fleet", opts...)
	found, err := manifest.Discover(context.Background(), dir, manifest.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	return dir, found.Sources
}

func parseConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("chart-promoter.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const twoStages = `
stages:
  - name: staging
    applications: ["*-staging", "*-staging-*"]
  - name: production
    applications: ["*-production"]
    from: staging
    soak: 24h
`

// planner opens the checkout and returns a planner over it with the clock at.
func planner(t *testing.T, dir string, sources []manifest.Source, cfg *config.Config, at time.Time, extra ...func(*stage.Options)) *stage.Planner {
	t.Helper()
	repo, head := open(t, dir)
	opts := stage.Options{Config: cfg, Git: repo, Base: head, Branch: "main", Now: func() time.Time { return at }}
	for _, e := range extra {
		e(&opts)
	}
	return stage.NewPlanner(opts, sources)
}

// decide runs the planner for the source of Application app.
func decide(t *testing.T, p *stage.Planner, sources []manifest.Source, app string) (stage.Result, error) {
	t.Helper()
	for _, src := range sources {
		if src.Application != app {
			continue
		}
		s, err := p.StageOf(src)
		if err != nil || s == nil {
			t.Fatalf("stage of %s = %v, %v", app, s, err)
		}
		return p.Decide(context.Background(), s, src, mustVersion(t, src.Revision))
	}
	t.Fatalf("no source of Application %s", app)
	return stage.Result{}, nil
}

func versionOf(r stage.Result) string {
	if r.Version == nil {
		return ""
	}
	return r.Version.String()
}

func TestPlannerTakesWhatStagingHasRunForTheSoakTime(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
	f.set(3*day, "webapp-staging", "1.4.0")
	f.set(2*time.Hour, "webapp-staging", "1.4.2")
	dir, sources := f.checkout()
	cfg := parseConfig(t, twoStages)

	res, err := decide(t, planner(t, dir, sources, cfg, now), sources, "webapp-production")
	if err != nil {
		t.Fatal(err)
	}
	if versionOf(res) != "1.4.0" {
		t.Fatalf("production gets %q (%s), want 1.4.0", versionOf(res), res.Reason)
	}
	if len(res.Upstreams) != 1 || res.Upstreams[0].Application != "webapp-staging" || !res.Upstreams[0].Since.Equal(now.Add(-3*day)) || res.Upstreams[0].File != "apps/webapp-staging.yaml" {
		t.Errorf("upstreams = %+v, want webapp-staging since three days ago", res.Upstreams)
	}
	until := now.Add(22 * time.Hour)
	if len(res.Held) != 1 || res.Held[0].Gate != "soak" || res.Held[0].Version.String() != "1.4.2" || res.Held[0].Until == nil || !res.Held[0].Until.Equal(until) {
		t.Fatalf("held = %+v, want 1.4.2 held by soak until %s", res.Held, until)
	}
	if want := "production gets 1.4.2 at " + until.Format(time.RFC3339); !strings.Contains(res.Held[0].Reason, want) {
		t.Errorf("reason %q does not say %q", res.Held[0].Reason, want)
	}

	later, err := decide(t, planner(t, dir, sources, cfg, now.Add(23*time.Hour)), sources, "webapp-production")
	if err != nil || versionOf(later) != "1.4.2" || len(later.Held) != 0 {
		t.Fatalf("a day later production gets %q, held %+v (err %v), want 1.4.2", versionOf(later), later.Held, err)
	}
}

func TestPlannerRestartsTheClockWhenAVersionComesBack(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
	f.set(5*day, "webapp-staging", "1.4.0")
	f.set(4*day, "webapp-staging", "1.4.2")
	f.set(time.Hour, "webapp-staging", "1.4.0") // rolled back: 1.4.0 starts again
	dir, sources := f.checkout()
	res, err := decide(t, planner(t, dir, sources, parseConfig(t, twoStages), now), sources, "webapp-production")
	if err != nil {
		t.Fatal(err)
	}
	// 1.4.2 is newer than what staging runs now and 1.4.0's latest run is an hour old: the
	// newest soaked version not newer than 1.4.0 is 1.3.0, where production is already.
	if versionOf(res) != "1.3.0" {
		t.Fatalf("production gets %q, want 1.3.0 (nothing newer has soaked in its latest run)", versionOf(res))
	}
	if len(res.Held) != 1 || res.Held[0].Version.String() != "1.4.0" || !res.Held[0].Until.Equal(now.Add(23*time.Hour)) {
		t.Errorf("held = %+v, want 1.4.0 until %s", res.Held, now.Add(23*time.Hour))
	}
}

func TestPlannerWithTwoUpstreamsTakesTheNewestEveryOneHasSoaked(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging-eu", "1.3.0", "webapp-staging-us", "1.3.0", "webapp-production", "1.3.0")
	f.set(4*day, "webapp-staging-eu", "1.4.0", "webapp-staging-us", "1.4.0")
	f.set(2*day, "webapp-staging-eu", "1.4.2")
	f.set(3*time.Hour, "webapp-staging-us", "1.4.2")
	dir, sources := f.checkout()
	res, err := decide(t, planner(t, dir, sources, parseConfig(t, twoStages), now), sources, "webapp-production")
	if err != nil {
		t.Fatal(err)
	}
	if versionOf(res) != "1.4.0" || len(res.Upstreams) != 2 {
		t.Fatalf("production gets %q from %+v, want 1.4.0 from both upstreams", versionOf(res), res.Upstreams)
	}
	until := now.Add(21 * time.Hour) // staging-us is the later of the two
	if len(res.Held) != 1 || res.Held[0].Until == nil || !res.Held[0].Until.Equal(until) || !strings.Contains(res.Held[0].Reason, "webapp-staging-us has run 1.4.2") {
		t.Errorf("held = %+v, want 1.4.2 until %s, held by webapp-staging-us", res.Held, until)
	}
}

func TestPlannerHoldsWithoutADateWhileAnUpstreamRunsAnotherVersion(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging-eu", "1.3.0", "webapp-staging-us", "1.3.0", "webapp-production", "1.3.0")
	f.set(3*time.Hour, "webapp-staging-eu", "1.4.2")
	dir, sources := f.checkout()
	res, err := decide(t, planner(t, dir, sources, parseConfig(t, twoStages), now), sources, "webapp-production")
	if err != nil {
		t.Fatal(err)
	}
	if versionOf(res) != "1.3.0" || len(res.Held) != 1 || res.Held[0].Until != nil || !strings.Contains(res.Held[0].Reason, "webapp-staging-us runs 1.3.0") {
		t.Fatalf("got %q, held %+v; want 1.3.0 and 1.4.2 held with no date while webapp-staging-us runs 1.3.0", versionOf(res), res.Held)
	}
}

func TestPlannerMatchByName(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging", "1.4.0", "api-staging", "2.0.0", "webapp-production", "1.3.0", "api-production", "1.9.0")
	dir, sources := f.checkout()
	cases := []struct {
		name, match, app, want, reason string
	}{
		{"match: name follows the Application named after this one", "name", "webapp-production", "1.4.0", ""},
		{"match: name keeps another Application of the chart out", "name", "api-production", "2.0.0", ""},
		{"match: chart takes every source of the chart: nothing both have run", "chart", "webapp-production", "", "no version has run in every upstream source of stage staging (2 of them)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := parseConfig(t, twoStages+"    match: "+c.match+"\n")
			res, err := decide(t, planner(t, dir, sources, cfg, now), sources, c.app)
			if err != nil {
				t.Fatal(err)
			}
			if versionOf(res) != c.want || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("%s gets %q (%s), want %q (%s)", c.app, versionOf(res), res.Reason, c.want, c.reason)
			}
		})
	}
}

func TestPlannerSaysWhenThereIsNoUpstream(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging", "1.4.0", "billing-production", "1.0.0")
	dir, sources := f.checkout()
	cfg := parseConfig(t, twoStages+"    match: name\n")
	res, err := decide(t, planner(t, dir, sources, cfg, now), sources, "billing-production")
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != nil || !strings.Contains(res.Reason, "stage staging has no source of ghcr.io/acme/charts/webapp in Application billing-staging (match: name)") {
		t.Fatalf("got %q, reason %q", versionOf(res), res.Reason)
	}
}

func TestPlannerReportsASourceInTwoStages(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging-production", "1.4.0")
	dir, sources := f.checkout()
	p := planner(t, dir, sources, parseConfig(t, twoStages), now)
	_, err := p.StageOf(sources[0])
	if err == nil || !strings.Contains(err.Error(), "is in stages staging and production at once") {
		t.Fatalf("err = %v", err)
	}
}

func TestPlannerDeepensAShallowClone(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
	f.set(3*day, "webapp-staging", "1.4.0")
	for i := 0; i < 3; i++ {
		f.srv.CommitAt(t, f.dir, "main", map[string]string{"README.md": fmt.Sprintf("# fleet %d\n", i)}, "docs", now.Add(-day).Add(time.Duration(i)*time.Minute))
	}
	dir, sources := f.checkout(testenv.CloneDepth(1))
	res, err := decide(t, planner(t, dir, sources, parseConfig(t, twoStages), now), sources, "webapp-production")
	if err != nil {
		t.Fatal(err)
	}
	if versionOf(res) != "1.4.0" || !res.Upstreams[0].Since.Equal(now.Add(-3*day)) {
		t.Fatalf("after deepening production gets %q since %v, want 1.4.0 since three days ago", versionOf(res), res.Upstreams)
	}

	// A clone that cannot be deepened (no branch to fetch) says what to change.
	dir, sources = f.checkout(testenv.CloneDepth(1))
	p := planner(t, dir, sources, parseConfig(t, twoStages), now, func(o *stage.Options) { o.Branch = "" })
	_, err = decide(t, p, sources, "webapp-production")
	var shallow *gitrepo.ShallowError
	if err == nil || !strings.Contains(err.Error(), "fetch-depth: 0") || !errors.As(err, &shallow) {
		t.Fatalf("err = %v, want one that asks for fetch-depth: 0", err)
	}
}

func TestPlannerArgoCDGate(t *testing.T) {
	f := newFleet(t)
	f.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
	f.set(3*day, "webapp-staging", "1.4.0")
	dir, sources := f.checkout()
	gated := twoStages + "    argocd: {server: SERVER, tokenEnv: ARGOCD_TOKEN}\n"
	cases := []struct {
		name   string
		status string // "" leaves the Application out; "down" stops the server
		token  string
		want   string
		held   string // the reason of the argocd hold
		err    string
		since  time.Time
	}{
		{name: "synced and healthy at the version passes",
			status: `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Healthy"}}`, token: "s3cret", want: "1.4.0", since: now.Add(-3 * day)},
		{name: "a deployment after the commit starts the clock then",
			status: `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Healthy"},"history":[{"id":7,"revision":"1.4.0","deployedAt":"` + now.Add(-2*day).Format(time.RFC3339) + `"}]}`,
			token:  "s3cret", want: "1.4.0", since: now.Add(-2 * day)},
		{name: "a deployment too recent for the soak holds the version",
			status: `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Healthy"},"history":[{"id":7,"revision":"1.4.0","deployedAt":"` + now.Add(-time.Hour).Format(time.RFC3339) + `"}]}`,
			token:  "s3cret", want: "1.3.0"},
		{name: "degraded holds with Argo CD's message",
			status: `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Degraded","message":"Deployment webapp exceeded its progress deadline"}}`,
			token:  "s3cret", held: "Degraded: Deployment webapp exceeded its progress deadline; production takes nothing from webapp-staging until it is Synced and Healthy"},
		{name: "out of sync holds",
			status: `{"sync":{"status":"OutOfSync","revision":"1.3.0"},"health":{"status":"Healthy"}}`,
			token:  "s3cret", held: `OutOfSync at revision "1.3.0"`},
		{name: "the API down is an error, not a pass", status: "down", token: "s3cret", err: "HTTP 503"},
		{name: "an Application Argo CD does not know is an error", status: "", token: "s3cret", err: "no such Application"},
		{name: "an empty token variable is an error that names it", status: `{}`, token: "", err: "token variable ARGOCD_TOKEN is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := testenv.StartFakeArgoCD(t, "s3cret")
			switch c.status {
			case "":
			case "down":
				api.SetDown(true)
			default:
				api.SetApplication(t, "argocd", "webapp-staging", c.status)
			}
			cfg := parseConfig(t, strings.Replace(gated, "SERVER", api.URL, 1))
			p := planner(t, dir, sources, cfg, now, func(o *stage.Options) {
				o.Getenv = func(name string) string {
					if name == "ARGOCD_TOKEN" {
						return c.token
					}
					return ""
				}
			})
			res, err := decide(t, p, sources, "webapp-production")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || (c.token != "" && strings.Contains(err.Error(), c.token)) {
					t.Fatalf("err = %v, want one containing %q and not the token", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if versionOf(res) != c.want {
				t.Fatalf("production gets %q (%s), want %q", versionOf(res), res.Reason, c.want)
			}
			if c.held != "" {
				if len(res.Held) == 0 || res.Held[len(res.Held)-1].Gate != "argocd" || !strings.Contains(res.Held[len(res.Held)-1].Reason, c.held) {
					t.Fatalf("held = %+v, want an argocd hold saying %q", res.Held, c.held)
				}
			}
			if !c.since.IsZero() && !res.Upstreams[0].Since.Equal(c.since) {
				t.Errorf("since = %s, want %s", res.Upstreams[0].Since, c.since)
			}
		})
	}
}
