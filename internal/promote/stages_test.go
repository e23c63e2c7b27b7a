package promote_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// stagesNow is the clock of the stages tests: their histories are dated from it.
var stagesNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// staged is a GitOps repository whose history a test writes, dated, step by step, and a
// registry with the chart versions its Applications name.
type staged struct {
	t        *testing.T
	reg      *testenv.Registry
	git      *testenv.GitServer
	work     string // the clone commits are made in
	registry *registry.Client
	config   string
}

// newStaged pushes versions of charts/webapp and starts the repository with
// testdata/stages/chart-promoter.yaml plus rules.
func newStaged(t *testing.T, versions []string, rules string) *staged {
	t.Helper()
	s := &staged{t: t, reg: testenv.StartRegistry(t), git: testenv.StartGitServer(t)}
	for _, v := range versions {
		// "1.4.0@2h" is 1.4.0 pushed two hours before stagesNow; otherwise ten days before.
		v, ago, _ := strings.Cut(v, "@")
		age := 10 * day
		if ago != "" {
			d, err := time.ParseDuration(ago)
			if err != nil {
				t.Fatal(err)
			}
			age = d
		}
		s.reg.PushChart(t, "charts", "webapp", v, testenv.WithCreated(stagesNow.Add(-age)))
	}
	cfg, err := os.ReadFile(filepath.Join("testdata", "stages", config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	s.config = string(cfg) + rules
	s.git.CreateRepo(t, "fleet", map[string]string{"README.md": "# fleet\n", config.FileName: s.config})
	s.work = s.git.Clone(t, "fleet")
	if s.registry, err = registry.New(registry.WithRootCAs(s.reg.CertPool)); err != nil {
		t.Fatal(err)
	}
	return s
}

// set commits, ago before stagesNow, Applications (name, targetRevision) of the chart,
// each in apps/<stage>/<name>.yaml where stage is the name's last part.
func (s *staged) set(ago time.Duration, apps ...string) {
	s.t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "propose", "templates", "application.yaml"))
	if err != nil {
		s.t.Fatal(err)
	}
	files := map[string]string{}
	for i := 0; i+1 < len(apps); i += 2 {
		name := apps[i]
		env := name[strings.LastIndex(name, "-")+1:]
		text := fmt.Sprintf(string(tmpl), name, "webapp", apps[i+1])
		files["apps/"+env+"/"+name+".yaml"] = strings.ReplaceAll(text, fixtureHost, s.reg.Host)
	}
	s.git.CommitAt(s.t, s.work, "main", files, "set "+strings.Join(apps, " "), stagesNow.Add(-ago))
}

// plan checks the repository out as a run would and plans it with the clock at.
func (s *staged) plan(at time.Time, clone ...testenv.CloneOption) *promote.Plan {
	s.t.Helper()
	dir := s.git.Clone(s.t, "fleet", clone...)
	cfg, err := config.Load(dir, "")
	if err != nil {
		s.t.Fatal(err)
	}
	plan, err := promote.Make(s.t.Context(), promote.Options{Dir: dir, Config: cfg, Registry: s.registry, Now: func() time.Time { return at }})
	if err != nil {
		s.t.Fatal(err)
	}
	return plan
}

// outcomeOf is what a plan did with one Application: "1.3.0 → 1.4.0", "skipped: reason",
// "up to date: reason" or "error: message".
func outcomeOf(t *testing.T, p *promote.Plan, app string) string {
	t.Helper()
	for _, c := range p.Changes {
		if c.Application == app {
			return c.From + " → " + c.To
		}
	}
	for _, sk := range p.Skipped {
		if sk.Application == app {
			if sk.UpToDate {
				return "up to date: " + sk.Reason
			}
			return "skipped: " + sk.Reason
		}
	}
	for _, e := range p.Errors {
		if strings.Contains(e.File, app) {
			return "error: " + e.Message
		}
	}
	t.Fatalf("the plan says nothing of %s: %+v", app, p)
	return ""
}

func change(t *testing.T, p *promote.Plan, app string) promote.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Application == app {
			return c
		}
	}
	t.Fatalf("no change of %s: %s", app, outcomeOf(t, p, app))
	return promote.Change{}
}

func skipOf(t *testing.T, p *promote.Plan, app string) promote.Skip {
	t.Helper()
	for _, s := range p.Skipped {
		if s.Application == app {
			return s
		}
	}
	t.Fatalf("no skip of %s: %s", app, outcomeOf(t, p, app))
	return promote.Skip{}
}

func TestProductionTakesTheVersionStagingHasRunForTheSoakTime(t *testing.T) {
	t.Parallel()
	s := newStaged(t, []string{"1.3.0", "1.4.0", "1.4.2"}, "")
	s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
	s.set(3*day, "webapp-staging", "1.4.0")
	s.set(2*time.Hour, "webapp-staging", "1.4.2")

	plan := s.plan(stagesNow)
	if got := outcomeOf(t, plan, "webapp-staging"); !strings.HasPrefix(got, "up to date") {
		t.Errorf("staging: %s, want up to date at the registry's newest", got)
	}
	c := change(t, plan, "webapp-production")
	if c.From != "1.3.0" || c.To != "1.4.0" || c.Stage != "production" {
		t.Fatalf("production: %s → %s in stage %q, want 1.3.0 → 1.4.0 in production (1.4.2 has run two hours)", c.From, c.To, c.Stage)
	}
	if c.Digest == "" || c.Metadata.Version != "1.4.0" {
		t.Errorf("the change's digest %q and metadata %q are not the registry's 1.4.0", c.Digest, c.Metadata.Version)
	}
	until := stagesNow.Add(22 * time.Hour)
	if len(c.Held) != 1 || c.Held[0].Version != "1.4.2" || c.Held[0].Gate != "soak" || c.Held[0].Until == nil || !c.Held[0].Until.Equal(until) {
		t.Fatalf("held = %+v, want 1.4.2 held by soak until %s", c.Held, until)
	}
	if want := "production gets 1.4.2 at " + until.Format(time.RFC3339); !strings.Contains(c.Held[0].Reason, want) {
		t.Errorf("held reason %q does not say %q", c.Held[0].Reason, want)
	}

	// The contract of plan --json.
	data, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"stage":"production"`,
		`"upstream":{"application":"webapp-staging","file":"apps/staging/webapp-staging.yaml","version":"1.4.0","since":"` + stagesNow.Add(-3*day).Format(time.RFC3339) + `"}`,
		`"held":[{"version":"1.4.2","gate":"soak","reason":"`,
		`"until":"` + until.Format(time.RFC3339) + `"`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("plan --json lacks %s:\n%s", want, data)
		}
	}

	// A day later, the injected clock: 1.4.2 has soaked.
	later := s.plan(stagesNow.Add(23 * time.Hour))
	if got := outcomeOf(t, later, "webapp-production"); got != "1.3.0 → 1.4.2" {
		t.Errorf("a day later production: %s, want 1.3.0 → 1.4.2", got)
	}
}

func TestStagesCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		rules    string
		versions []string
		history  func(s *staged)
		clone    []testenv.CloneOption
		app      string
		want     string // the outcome, or its beginning when it ends in "…"
		held     string // a substring of the first held reason
	}{
		{
			name: "staging going back to a version restarts its clock: production waits for its new run",
			history: func(s *staged) {
				s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
				s.set(5*day, "webapp-staging", "1.4.0")
				s.set(4*day, "webapp-staging", "1.4.2")
				s.set(time.Hour, "webapp-staging", "1.4.0")
			},
			app:  "webapp-production",
			want: "up to date: up to date: 1.3.0 is the newest version staging has run for the soak time 1d; waiting: 1.4.0 (soak)",
			held: "webapp-staging has run 1.4.0 since " + stagesNow.Add(-time.Hour).Format(time.RFC3339),
		},
		{
			name:  "production's own constraint excludes what staging runs: skipped with the reason",
			rules: "rules:\n  - applications: [\"*-production\"]\n    constraint: \"~1.3\"\n",
			history: func(s *staged) {
				s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
				s.set(3*day, "webapp-staging", "1.4.0")
			},
			app:  "webapp-production",
			want: "skipped: the constraint ~1.3 (set by rules[0] (chart-promoter.yaml:13)) excludes 1.4.0, which staging (webapp-staging) has run since " + stagesNow.Add(-3*day).Format(time.RFC3339) + ": production stays at 1.3.0",
		},
		{
			name: "two upstreams at different versions: the newest both have soaked",
			history: func(s *staged) {
				s.set(10*day, "webapp-staging-eu", "1.3.0", "webapp-staging-us", "1.3.0", "webapp-production", "1.3.0")
				s.set(4*day, "webapp-staging-eu", "1.4.0", "webapp-staging-us", "1.4.0")
				s.set(2*day, "webapp-staging-eu", "1.4.2")
				s.set(3*time.Hour, "webapp-staging-us", "1.4.2")
			},
			app:  "webapp-production",
			want: "1.3.0 → 1.4.0",
			held: "webapp-staging-us has run 1.4.2",
		},
		{
			name: "a shallow clone (depth 1) is deepened, never guessed",
			history: func(s *staged) {
				s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
				s.set(3*day, "webapp-staging", "1.4.0")
				s.set(day, "webapp-production", "1.3.0") // a later commit: HEAD alone says nothing of staging
			},
			clone: []testenv.CloneOption{testenv.CloneDepth(1)},
			app:   "webapp-production",
			want:  "1.3.0 → 1.4.0",
		},
		{
			name: "a version staging runs that the registry does not have is a skip that says so",
			history: func(s *staged) {
				s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
				s.set(3*day, "webapp-staging", "1.4.1")
			},
			app:  "webapp-production",
			want: "skipped: 1.4.1, which staging (webapp-staging) has run since …",
		},
		{
			name: "nothing staging runs has soaked yet: production waits, with the date",
			history: func(s *staged) {
				s.set(2*time.Hour, "webapp-staging", "1.4.0", "webapp-production", "1.3.0")
			},
			app:  "webapp-production",
			want: "skipped: webapp-staging has run 1.4.0 for less than the soak time 1d…",
			held: "production gets 1.4.0 at " + stagesNow.Add(22*time.Hour).Format(time.RFC3339),
		},
		{
			name:     "the stage's version must pass production's gates: too young for its minimum release age",
			rules:    "rules:\n  - applications: [\"*-production\"]\n    minimumReleaseAge: 72h\n",
			versions: []string{"1.3.0", "1.4.0@48h"},
			history: func(s *staged) {
				s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
				s.set(47*time.Hour, "webapp-staging", "1.4.0")
			},
			app:  "webapp-production",
			want: "skipped: 1.4.0, which staging (webapp-staging) has run since " + stagesNow.Add(-47*time.Hour).Format(time.RFC3339) + ", does not pass the gates of production; held: 1.4.0 (age)",
			held: "younger than the minimum release age of 72h",
		},
		{
			name: "a source in no stage is promoted as without stages",
			history: func(s *staged) {
				s.set(10*day, "webapp-dev", "1.3.0")
			},
			app:  "webapp-dev",
			want: "1.3.0 → 1.4.2",
		},
		{
			name:     "separateMajor does not split what a stage decides",
			rules:    "rules:\n  - separateMajor: true\n",
			versions: []string{"1.3.0", "1.4.0", "2.0.0"},
			history: func(s *staged) {
				s.set(10*day, "webapp-staging", "1.3.0", "webapp-production", "1.3.0")
				s.set(3*day, "webapp-staging", "2.0.0")
			},
			app:  "webapp-production",
			want: "1.3.0 → 2.0.0",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			versions := c.versions
			if versions == nil {
				versions = []string{"1.3.0", "1.4.0", "1.4.2"}
			}
			s := newStaged(t, versions, c.rules)
			c.history(s)
			plan := s.plan(stagesNow, c.clone...)
			got := outcomeOf(t, plan, c.app)
			if want, prefix := strings.CutSuffix(c.want, "…"); (prefix && !strings.HasPrefix(got, want)) || (!prefix && got != c.want) {
				t.Fatalf("%s:\n  %s\nwant\n  %s", c.app, got, c.want)
			}
			if c.held != "" {
				var held string
				for _, ch := range plan.Changes {
					if ch.Application == c.app && len(ch.Held) > 0 {
						held = ch.Held[0].Reason
					}
				}
				for _, sk := range plan.Skipped {
					if sk.Application == c.app && len(sk.Held) > 0 {
						held = sk.Held[0].Reason
					}
				}
				if !strings.Contains(held, c.held) {
					t.Errorf("held reason %q, want one containing %q", held, c.held)
				}
			}
		})
	}
}

func TestANotReadyDownstreamIsSkippedWithItsHeldVersion(t *testing.T) {
	t.Parallel()
	s := newStaged(t, []string{"1.3.0", "1.4.0"}, "")
	s.set(2*time.Hour, "webapp-staging", "1.4.0", "webapp-production", "1.3.0")
	sk := skipOf(t, s.plan(stagesNow), "webapp-production")
	if sk.Stage != "production" || len(sk.Held) != 1 || sk.Held[0].Gate != "soak" || sk.Held[0].Version != "1.4.0" || sk.Held[0].Until == nil {
		t.Fatalf("skip = %+v, want production holding 1.4.0 by soak with a date", sk)
	}
}

func TestStagesOutsideAGitCheckoutFailTheDownstreamSourcesOnly(t *testing.T) {
	t.Parallel()
	s := newStaged(t, []string{"1.3.0", "1.4.0"}, "")
	s.set(3*day, "webapp-staging", "1.4.0", "webapp-production", "1.3.0", "webapp-dev", "1.3.0")
	dir := s.git.Clone(t, "fleet")
	if err := os.RemoveAll(filepath.Join(dir, ".git")); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := promote.Make(t.Context(), promote.Options{Dir: dir, Config: cfg, Registry: s.registry, Now: func() time.Time { return stagesNow }})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomeOf(t, plan, "webapp-production"); !strings.Contains(got, "error: stages read the base branch's history") {
		t.Errorf("production: %s, want an error that says the history is needed", got)
	}
	if got := outcomeOf(t, plan, "webapp-dev"); got != "1.3.0 → 1.4.0" {
		t.Errorf("a source in no stage: %s, want 1.3.0 → 1.4.0 as without stages", got)
	}
	if got := outcomeOf(t, plan, "webapp-staging"); !strings.HasPrefix(got, "up to date") {
		t.Errorf("staging: %s, want up to date", got)
	}
}

// A kustomization's helmCharts entry is staged like an Application source: its soak clock
// is read from the history of the upstream kustomization with the kustomization reader.
func TestKustomizationsArePromotedAlongStagesToo(t *testing.T) {
	t.Parallel()
	s := newStaged(t, []string{"1.3.0", "1.4.0", "1.4.2"}, "")
	kustomization := func(v string) string {
		return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nhelmCharts:\n  - name: webapp\n    repo: oci://" + s.reg.Host + "/charts\n    version: " + v + "\n    releaseName: webapp\n"
	}
	// The directories are the kustomizations' names in reports, which the stages' globs match.
	s.git.CommitAt(t, s.work, "main", map[string]string{
		"webapp-staging/kustomization.yaml":    kustomization("1.3.0"),
		"webapp-production/kustomization.yaml": kustomization("1.3.0"),
	}, "both at 1.3.0", stagesNow.Add(-10*day))
	s.git.CommitAt(t, s.work, "main", map[string]string{"webapp-staging/kustomization.yaml": kustomization("1.4.0")}, "staging 1.4.0", stagesNow.Add(-3*day))
	s.git.CommitAt(t, s.work, "main", map[string]string{"webapp-staging/kustomization.yaml": kustomization("1.4.2")}, "staging 1.4.2", stagesNow.Add(-2*time.Hour))

	plan := s.plan(stagesNow)
	c := change(t, plan, "webapp-production")
	if c.From != "1.3.0" || c.To != "1.4.0" || c.Stage != "production" || c.Upstream == nil || c.Upstream.File != "webapp-staging/kustomization.yaml" {
		t.Fatalf("production: %s → %s in stage %q from %+v; want 1.3.0 → 1.4.0 in production, from the staging kustomization (1.4.2 has run two hours)", c.From, c.To, c.Stage, c.Upstream)
	}
	if since := stagesNow.Add(-3 * day); !c.Upstream.Since.Equal(since) {
		t.Errorf("upstream since %s, want %s: the commit that moved staging to 1.4.0", c.Upstream.Since, since)
	}
}
