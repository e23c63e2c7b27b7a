package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, before, after string
	}{
		{name: "one changed line gets three lines of context", before: "diff/one-change"},
		{name: "changes close together share one hunk", before: "diff/close-changes"},
		{name: "changes far apart get a hunk each", before: "diff/far-changes"},
		{name: "CRLF lines diff like LF lines", before: "diff/crlf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tt.before)
			before := read(t, filepath.Join(dir, "before.yaml"))
			after := read(t, filepath.Join(dir, "after.yaml"))
			want := read(t, filepath.Join(dir, "want.diff"))
			var got bytes.Buffer
			if err := UnifiedDiff(&got, "app.yaml", before, after, false); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("diff:\n%s\nwant:\n%s", got.String(), want)
			}
		})
	}
}

func TestUnifiedDiffRefusesEditsThatChangeTheLineCount(t *testing.T) {
	if err := UnifiedDiff(&bytes.Buffer{}, "a.yaml", []byte("a\nb\n"), []byte("a\n"), false); err == nil {
		t.Error("a diff of files with different line counts should be refused, not misaligned")
	}
}

func TestUnifiedDiffColoursOnlyWhenAsked(t *testing.T) {
	var plain, coloured bytes.Buffer
	_ = UnifiedDiff(&plain, "a.yaml", []byte("v: 1\n"), []byte("v: 2\n"), false)
	_ = UnifiedDiff(&coloured, "a.yaml", []byte("v: 1\n"), []byte("v: 2\n"), true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("plain diff holds ANSI escapes: %q", plain.String())
	}
	if !strings.Contains(coloured.String(), "\x1b[31m-v: 1") || !strings.Contains(coloured.String(), "\x1b[32m+v: 2") {
		t.Errorf("coloured diff lacks red/green lines: %q", coloured.String())
	}
}

func TestTextSeparatesSkipsFromUpToDateSources(t *testing.T) {
	plan := &promote.Plan{
		Changes: []promote.Change{{File: "apps/web.yaml", Line: 9, Kind: "Application", Application: "web",
			ApplicationSet: "webs", Chart: "ghcr.io/acme/charts/web", From: "1.2.3", To: "1.2.4",
			Constraint: "~1.2", ConstraintOrigin: "--constraint", Digest: "sha256:0123456789abcdef0123"}},
		Skipped: []promote.Skip{
			{File: "apps/db.yaml", Line: 4, Application: "db", Reason: "targetRevision \"^7\" is a range"},
			{File: "apps/api.yaml", Line: 5, Application: "api", Reason: "up to date: 2.0.0 is the newest", UpToDate: true},
		},
	}
	var quiet, verbose bytes.Buffer
	Text(&quiet, plan, TextOptions{})
	Text(&verbose, plan, TextOptions{Verbose: true})
	for _, want := range []string{
		"Changes (1):",
		"apps/web.yaml:9  Application web (ApplicationSet webs)",
		"ghcr.io/acme/charts/web  1.2.3 → 1.2.4",
		"allowed by ~1.2 (--constraint) · sha256:0123456789ab",
		"Skipped (1):",
		"1 change(s) in 0 file(s), 1 up to date (-v lists them), 1 skipped, 0 error(s)",
	} {
		if !strings.Contains(quiet.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, quiet.String())
		}
	}
	if strings.Contains(quiet.String(), "apps/api.yaml") {
		t.Errorf("up-to-date source listed without -v:\n%s", quiet.String())
	}
	if !strings.Contains(verbose.String(), "Up to date (1):") || !strings.Contains(verbose.String(), "apps/api.yaml:5") {
		t.Errorf("-v does not list the up-to-date source:\n%s", verbose.String())
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTextListsWarningsWithTheSettingSpeltForTheUser(t *testing.T) {
	plan := &promote.Plan{Warnings: []promote.Warning{
		{Setting: "include", Message: `pattern "apps/*.yml" matches no file`},
		{Chart: "ghcr.io/acme/charts/webap", Setting: "chart", Message: "no source uses ghcr.io/acme/charts/webap; did you mean ghcr.io/acme/charts/webapp?"},
		{File: "apps/web.yaml", Line: 3, Message: "something about a file"},
	}}
	var out bytes.Buffer
	Text(&out, plan, TextOptions{})
	for _, want := range []string{
		"Warnings (3):",
		`warning: --include: pattern "apps/*.yml" matches no file`,
		"warning: --chart: no source uses ghcr.io/acme/charts/webap; did you mean ghcr.io/acme/charts/webapp?",
		"warning: apps/web.yaml:3: something about a file",
		"0 error(s), 3 warning(s)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	Text(&out, plan, TextOptions{Spell: func(name, _ string) string { return "input " + name }})
	if !strings.Contains(out.String(), "warning: input include: pattern") {
		t.Errorf("the speller was not used:\n%s", out.String())
	}
}

func TestYAMLIsTheJSONDocumentInYAML(t *testing.T) {
	plan := &promote.Plan{
		Changes: []promote.Change{{File: "apps/web.yaml", Line: 9, Application: "web", Chart: "ghcr.io/acme/charts/web", From: "1.9", To: "1.10", Metadata: registry.Metadata{Name: "web", Version: "1.10"}}},
		Skipped: []promote.Skip{}, Errors: []promote.Error{}, Warnings: []promote.Warning{{Message: "careful"}},
	}
	var y, j bytes.Buffer
	if err := YAML(&y, plan); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&j, plan); err != nil {
		t.Fatal(err)
	}
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(y.Bytes(), &fromYAML); err != nil {
		t.Fatalf("the YAML does not parse: %v\n%s", err, y.String())
	}
	if err := json.Unmarshal(j.Bytes(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	// Through JSON, the YAML reads back as the same document: "1.10" stays a string.
	round, _ := json.Marshal(fromYAML)
	again, _ := json.Marshal(fromJSON)
	if string(round) != string(again) {
		t.Errorf("YAML reads as\n%s\nJSON as\n%s", round, again)
	}
	if !strings.HasPrefix(y.String(), "changes:\n  - file: apps/web.yaml\n") || !strings.Contains(y.String(), "to: \"1.10\"") {
		t.Errorf("YAML does not keep the JSON's field order and string quoting:\n%s", y.String())
	}
}

func TestTextShowsWhoSignedAndWhatWasHeldBack(t *testing.T) {
	until := time.Date(2025, 6, 4, 7, 30, 0, 0, time.UTC)
	tlog := time.Date(2025, 5, 20, 10, 0, 0, 0, time.UTC)
	young := gate.Hold{Version: "1.2.5", Gate: "age", Reason: "released 2025-06-01T07:30:00Z (org.opencontainers.image.created), younger than the minimum release age of 72h", Until: &until}
	unsigned := gate.Hold{Version: "1.2.6", Gate: "signature", Reason: "cosign: no signature"}
	plan := &promote.Plan{
		Changes: []promote.Change{{File: "apps/web.yaml", Line: 9, Kind: "Application", Application: "web",
			Chart: "ghcr.io/acme/charts/web", From: "1.2.3", To: "1.2.4", Constraint: "~1.2", ConstraintOrigin: "--constraint",
			Digest: "sha256:0123456789abcdef0123", Held: []gate.Hold{unsigned, young},
			Verification: &verify.Result{Provider: "cosign", Identity: "release@acme", KeyID: "SHA256:ab", TlogTime: &tlog, Signed: true}}},
		Skipped: []promote.Skip{{File: "apps/canary.yaml", Line: 4, Application: "canary", Reason: "no version newer than 1.2.4 that ~1.2 allows passes every gate", Held: []gate.Hold{young}}},
	}
	var out bytes.Buffer
	Text(&out, plan, TextOptions{})
	for _, want := range []string{
		"      verified by cosign, identity release@acme, key SHA256:ab, transparency log 2025-05-20T10:00:00Z\n",
		"      held: 1.2.6 held by signature: cosign: no signature\n",
		"      held: 1.2.5 held by age: released 2025-06-01T07:30:00Z (org.opencontainers.image.created), younger than the minimum release age of 72h; eligible from 2025-06-04T07:30:00Z\n",
		"  apps/canary.yaml:4  canary\n      no version newer than 1.2.4 that ~1.2 allows passes every gate\n      held: 1.2.5 held by age:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	unverified := promote.Plan{Changes: []promote.Change{{File: "a.yaml", Line: 1, To: "1.0.0",
		Verification: &verify.Result{Signed: false, Reason: "cosign: no signature"}}}}
	out.Reset()
	Text(&out, &unverified, TextOptions{})
	if !strings.Contains(out.String(), "not verified (the rule does not require it): cosign: no signature") {
		t.Errorf("an unsigned pass is not marked as such:\n%s", out.String())
	}
}

func TestTextShowsTheReplacedArchiveAndItsBinaryDiff(t *testing.T) {
	plan := &promote.Plan{
		Changes: []promote.Change{{File: "platform/Chart.yaml", Line: 7, Kind: "Chart", Application: "platform",
			Chart: "ghcr.io/acme/charts/redis", From: "1.0.0", To: "1.1.0", Digest: "sha256:0123456789abcdef0123",
			Archives: &promote.ArchiveReplacement{Removed: "platform/charts/redis-1.0.0.tgz", Added: "platform/charts/redis-1.1.0.tgz", Digest: "sha256:fedcba9876543210fedc", Size: 1234}}},
		Archives: []promote.ArchiveFile{
			{File: "platform/charts/redis-1.0.0.tgz"},
			{File: "platform/charts/redis-1.1.0.tgz", Data: []byte{0x1f, 0x8b}},
		},
	}
	var out bytes.Buffer
	Text(&out, plan, TextOptions{Diff: true})
	for _, want := range []string{
		"      archive platform/charts/redis-1.0.0.tgz → platform/charts/redis-1.1.0.tgz (sha256:fedcba987654, 1234 bytes)\n",
		"--- a/platform/charts/redis-1.0.0.tgz\n+++ /dev/null\nBinary files a/platform/charts/redis-1.0.0.tgz and /dev/null differ\n",
		"--- /dev/null\n+++ b/platform/charts/redis-1.1.0.tgz\nBinary files /dev/null and b/platform/charts/redis-1.1.0.tgz differ\n",
		"1 change(s) in 0 file(s) and 2 vendored archive(s),",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	var doc bytes.Buffer
	if err := JSON(&doc, plan); err != nil {
		t.Fatal(err)
	}
	if want := `"archives": {
        "removed": "platform/charts/redis-1.0.0.tgz",
        "added": "platform/charts/redis-1.1.0.tgz",
        "digest": "sha256:fedcba9876543210fedc",
        "size": 1234
      }`; !strings.Contains(doc.String(), want) {
		t.Errorf("the JSON change lacks\n%s\n%s", want, doc.String())
	}
}
