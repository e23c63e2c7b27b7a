package promote_test

import (
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// withConfig adds chart-promoter.yaml with text to the repository.
func withConfig(text string) gitopsOption {
	return func(c *gitopsConfig) {
		c.files = append(c.files, func(_ *testing.T, files map[string]string) { files["chart-promoter.yaml"] = text })
	}
}

const separateMajor = "rules:\n  - separateMajor: true\n"

// majorWorld is the webapp fixture at 1.2.3 with 1.2.5 and 2.0.0 released, under
// separateMajor, after a first run: two pull requests.
func majorWorld(t *testing.T) (w *gitops, opts promote.ProposeOptions, minor, major testenv.FakePR) {
	t.Helper()
	w = newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.5", "2.0.0"}}, withConfig(separateMajor))
	opts = w.options()
	w.loadConfig(&opts)
	res := w.propose(opts)
	if len(res.Proposals) != 2 || res.Proposals[0].Action != promote.Opened || res.Proposals[1].Action != promote.Opened {
		t.Fatalf("proposals %+v, want two opened", res.Proposals)
	}
	for _, p := range w.pulls() {
		if strings.Contains(p.Head, "/major/") {
			major = p
		} else {
			minor = p
		}
	}
	minorBranch := w.chartBranch("charts/webapp")
	majorBranch := strings.Replace(minorBranch, "chart-promoter/", "chart-promoter/major/", 1)
	if minor.Head != minorBranch || major.Head != majorBranch {
		t.Fatalf("branches %s and %s, want %s and %s", minor.Head, major.Head, minorBranch, majorBranch)
	}
	if !strings.HasSuffix(major.Title, "(major)") || strings.Contains(minor.Title, "major") {
		t.Errorf("titles %q and %q: the major one should say so, the minor one not", minor.Title, major.Title)
	}
	if !strings.Contains(major.Body, `"major":true`) || strings.Contains(minor.Body, `"major":true`) {
		t.Error("the PR marker does not tell the major pull request from the minor one")
	}
	w.checkDiffMovesOnly("main", minorBranch, webappLines("1.2.5"))
	w.checkDiffMovesOnly("main", majorBranch, webappLines("2.0.0"))

	// The plan's own diff (what apply writes) takes the newest: the major.
	for _, f := range res.Plan.Files {
		if strings.Contains(string(f.After), "1.2.5") {
			t.Errorf("%s: apply would write the minor version too:\n%s", f.File, f.After)
		}
	}
	return w, opts, minor, major
}

func TestSeparateMajorMergingTheMinorFirstLeavesTheMajorCorrect(t *testing.T) {
	t.Parallel()
	w, opts, minor, major := majorWorld(t)
	w.merge(minor.Number)
	opts.Plan.Dir = w.clone
	res := w.propose(opts)
	p := only(t, res)
	if p.Branch != major.Head || p.Action != promote.Updated || p.Number != major.Number {
		t.Fatalf("after merging the minor: %+v, want %s (#%d) updated", p, major.Head, major.Number)
	}
	// Made again on the new base: it moves 1.2.5 to 2.0.0, and would merge cleanly.
	moves := map[string]string{}
	for before, after := range webappLines("2.0.0") {
		moves[strings.ReplaceAll(before, "1.2.3", "1.2.5")] = after
	}
	w.checkDiffMovesOnly("main", major.Head, moves)
	if parent := w.bare("log", "-1", "--format=%P", major.Head); parent != w.bare("rev-parse", "main") {
		t.Errorf("%s is built on %s, not on main", major.Head, parent)
	}
}

func TestSeparateMajorMergingTheMajorFirstClosesTheMinor(t *testing.T) {
	t.Parallel()
	w, opts, minor, major := majorWorld(t)
	w.merge(major.Number)
	opts.Plan.Dir = w.clone
	res := w.propose(opts)
	if len(res.Proposals) != 0 || len(res.Closed) != 1 || res.Closed[0] != minor.Number {
		t.Fatalf("after merging the major: proposals %+v, closed %v; want none, and #%d closed", res.Proposals, res.Closed, minor.Number)
	}
	for _, p := range w.pulls() {
		if p.Number == minor.Number && p.State != "closed" {
			t.Errorf("#%d is %s", p.Number, p.State)
		}
	}
	comments := w.gh.Comments(gitopsOwner, gitopsName, minor.Number)
	if len(comments) != 1 || !strings.Contains(comments[0], "main already runs these versions or newer (webapp 2.0.0)") {
		t.Errorf("comments on #%d: %q", minor.Number, comments)
	}
}
