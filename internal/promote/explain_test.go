package promote_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// explainConfigRules explains one Application of the config-rules plan fixture, offline.
func explainConfigRules(t *testing.T, arg string) promote.SourceWhy {
	t.Helper()
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "plan", "config-rules", "in"), root, fixtureHost)
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := promote.ParseQuery(root, arg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := promote.Explain(t.Context(), promote.Options{Dir: root, Config: cfg, DefaultConstraint: "<1"}, q, false)
	if err != nil {
		t.Fatalf("Explain(%s): %v", arg, err)
	}
	if len(e.Sources) != 1 {
		t.Fatalf("Explain(%s) found %d sources, want 1", arg, len(e.Sources))
	}
	if e.Sources[0].Outcome != nil {
		t.Errorf("an offline explanation has an outcome: %+v", e.Sources[0].Outcome)
	}
	return e.Sources[0]
}

// field returns one policy field of an explanation, written as "value ← from; over v ← f; …".
func field(t *testing.T, s promote.SourceWhy, name string) string {
	t.Helper()
	for _, f := range s.Policy {
		if f.Field == name {
			parts := []string{f.Value + " ← " + f.From}
			for _, o := range f.Over {
				parts = append(parts, "over "+o.Value+" ← "+o.From)
			}
			return strings.Join(parts, "; ")
		}
	}
	t.Fatalf("no field %s in %+v", name, s.Policy)
	return ""
}

func TestExplainListsEverySettingOfAFieldMostBindingFirst(t *testing.T) {
	cases := []struct {
		name, arg, field, want string
	}{
		{"a comment wins over the rules and the flag", "comment-beats-rules", "constraint",
			`~1.4 ← comment "# chart-promoter: constraint=~1.4"; over ~1.2 ← rules[0] (chart-promoter.yaml:6); over <1 ← --constraint`},
		{"an annotation wins over the rules and the flag", "annotation-beats-rules", "constraint",
			"^2 ← annotation chart-promoter.io/constraint on Application annotation-beats-rules; over ~1.2 ← rules[0] (chart-promoter.yaml:6); over <1 ← --constraint"},
		{"the later rule wins over the earlier one", "api-production", "constraint",
			"~1.3 ← rules[1] (chart-promoter.yaml:9); over ~1.2 ← rules[0] (chart-promoter.yaml:6); over <1 ← --constraint"},
		{"the flag applies where nothing else sets a constraint", "flag-where-no-rule-sets-one", "constraint", "<1 ← --constraint"},
		{"an explicit annotation of false wins over a rule's ignore", "kept-by-annotation", "ignore",
			`false ← annotation chart-promoter.io/ignore: "false" on Application kept-by-annotation; over true ← rules[4] (chart-promoter.yaml:15)`},
		{"a comment's ignore wins over a later rule's false", "ignored-by-comment", "ignore",
			`true ← comment "# chart-promoter: ignore"; over false ← rules[5] (chart-promoter.yaml:17); over true ← rules[4] (chart-promoter.yaml:15)`},
		{"a later rule un-ignores a file an earlier rule ignores", "legacy/keep.yaml", "ignore",
			"false ← rules[3] (chart-promoter.yaml:13); over true ← rules[2] (chart-promoter.yaml:11)"},
		{"nothing set is the default", "rule-beats-flag", "ignore", "false ← default: not ignored"},
		{"without providers, verification is off", "rule-beats-flag", "verify", "off ← no matching rule sets verify.providers: versions are not verified"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := field(t, explainConfigRules(t, c.arg), c.field); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.field, got, c.want)
			}
		})
	}
}

func TestExplainSaysWhyEachRuleAppliesOrNot(t *testing.T) {
	s := explainConfigRules(t, "apps.yaml:41")
	if s.Application != "api-production" {
		t.Fatalf("apps.yaml:41 is %s, want api-production", s.Application)
	}
	want := []string{
		`applies: charts "oci://registry.test/charts/a*" matches registry.test/charts/api`,
		`applies: charts "registry.test/charts/api" matches registry.test/charts/api, applications "*-production" matches api-production in apps.yaml`,
		`does not apply: applications ["legacy/**"] do not match api-production in apps.yaml`,
	}
	for i, w := range want {
		r := s.Rules[i]
		verdict := "does not apply: "
		if r.Applies {
			verdict = "applies: "
		}
		if got := verdict + r.Why; got != w {
			t.Errorf("rules[%d]: %s\nwant       %s", i, got, w)
		}
	}
}

func TestParseQueryTellsNamesFromFilesAndLines(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want promote.Query
	}{
		{"webapp-production", promote.Query{Application: "webapp-production"}},
		{"apps/production/webapp.yaml:22", promote.Query{File: "apps/production/webapp.yaml", Line: 22}},
		{"apps/production/webapp.yaml", promote.Query{File: "apps/production/webapp.yaml"}},
		{"webapp.yaml", promote.Query{File: "webapp.yaml"}},
		{"./apps/x.yaml:3", promote.Query{File: "apps/x.yaml", Line: 3}},
	} {
		got, err := promote.ParseQuery(t.TempDir(), c.arg)
		if err != nil || got != c.want {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", c.arg, got, err, c.want)
		}
	}
	if _, err := promote.ParseQuery(".", "apps/x.yaml:0"); err == nil {
		t.Error("line 0 was accepted")
	}
}

func TestExplainShowsReplaceVendoredArchivesOnlyForAChartsDependencies(t *testing.T) {
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "vendored"), root, fixtureHost)
	writeFile(t, root, "chart-promoter.yaml", "rules:\n  - applications: [\"*/Chart.yaml\"]\n    replaceVendoredArchives: true\n  - applications: [aliased/**]\n    replaceVendoredArchives: false\n  - constraint: \"*\"\n")
	writeFile(t, root, "app.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: "+fixtureHost+"/charts\n    chart: redis\n    targetRevision: 1.0.0\n")
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	explain := func(arg string) promote.SourceWhy {
		t.Helper()
		q, err := promote.ParseQuery(root, arg)
		if err != nil {
			t.Fatal(err)
		}
		e, err := promote.Explain(t.Context(), promote.Options{Dir: root, Config: cfg}, q, false)
		if err != nil || len(e.Sources) == 0 {
			t.Fatalf("Explain(%s): %v, %d sources", arg, err, len(e.Sources))
		}
		return e.Sources[0]
	}
	if got, want := field(t, explain("platform/Chart.yaml"), "replaceVendoredArchives"), "true ← rules[0] (chart-promoter.yaml:3)"; got != want {
		t.Errorf("platform's dependency: %s, want %s", got, want)
	}
	if got, want := field(t, explain("aliased/Chart.yaml"), "replaceVendoredArchives"), "false ← rules[1] (chart-promoter.yaml:5); over true ← rules[0] (chart-promoter.yaml:3)"; got != want {
		t.Errorf("aliased's dependency: %s, want %s", got, want)
	}
	// An Application vendors nothing: no rule that applies to it sets the field, and its
	// default is not shown.
	for _, f := range explain("app.yaml").Policy {
		if f.Field == "replaceVendoredArchives" {
			t.Errorf("an Application shows %+v", f)
		}
	}
}
