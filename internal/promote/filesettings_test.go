package promote

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
)

func loadSettingsFixture(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Read(filepath.Join("testdata", "settings", config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name = config.FileName
	return cfg
}

// flags gives the named settings as --flags.
func flags(names ...string) Given {
	return func(name string) (string, bool) {
		if slices.Contains(names, name) {
			return "--" + name, true
		}
		return "", false
	}
}

func TestAGivenSettingWinsOverTheFileAndTheFileOverTheDefault(t *testing.T) {
	cfg := loadSettingsFixture(t)
	for _, tt := range []struct {
		name     string
		given    Given
		enabled  bool
		kube     string
		timeout  time.Duration
		warnings int
		from     map[string]string
	}{
		{
			name: "nothing given: the file decides, and warns about what it turns off", enabled: false, kube: "1.31", timeout: 2 * time.Minute, warnings: 2,
			from: map[string]string{"render.enabled": "chart-promoter.yaml:2", "render.kubeVersion": "chart-promoter.yaml:3", "render.maxBytes": "default"},
		},
		{
			name: "--render given turns it on over the file, whose other keys then count", given: flags("render"), enabled: true, kube: "1.31", timeout: 2 * time.Minute,
			from: map[string]string{"render.enabled": "--render", "render.timeout": "chart-promoter.yaml:4"},
		},
		{
			name: "--kube-version given wins over the file's", given: flags("kube-version"), enabled: false, kube: "1.29", timeout: 2 * time.Minute, warnings: 2,
			from: map[string]string{"render.kubeVersion": "--kube-version"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRenderSettings()
			r.KubeVersion = "1.29" // what a --kube-version would hold
			origins, warnings := r.ApplyConfig(cfg, tt.given)
			if r.Enabled != tt.enabled || r.KubeVersion != tt.kube || r.Timeout != tt.timeout {
				t.Errorf("settings %+v; want enabled %v, kube version %s, timeout %s", r, tt.enabled, tt.kube, tt.timeout)
			}
			if len(warnings) != tt.warnings {
				t.Errorf("warnings %+v; want %d", warnings, tt.warnings)
			}
			for key, want := range tt.from {
				i := slices.IndexFunc(origins, func(o SettingOrigin) bool { return o.Key == key })
				if i < 0 || origins[i].From != want {
					t.Errorf("%s from %+v, want %s", key, origins, want)
				}
			}
			if (r.Options() == nil) == tt.enabled {
				t.Errorf("Options() = %+v with enabled %v", r.Options(), tt.enabled)
			}
		})
	}
}

func TestTheFilesRenderWarningsNameTheKeyAndItsLine(t *testing.T) {
	r := DefaultRenderSettings()
	_, warnings := r.ApplyConfig(loadSettingsFixture(t), nil)
	if len(warnings) != 2 || warnings[0].File != "chart-promoter.yaml" || warnings[0].Line != 3 || warnings[1].Line != 4 ||
		!strings.HasPrefix(warnings[0].Message, "render.kubeVersion has no effect: render.enabled is false (line 2)") {
		t.Errorf("warnings %+v; want render.kubeVersion (line 3) and render.timeout (line 4), each without effect", warnings)
	}
}

func TestThePullRequestBlockFillsWhatNoFlagGives(t *testing.T) {
	s := Settings{DeleteBranch: true, Labels: []string{"from-flag"}}
	origins := s.ApplyConfig(loadSettingsFixture(t), flags("label"))
	if s.Milestone != "3" || s.DeleteBranch || !slices.Equal(s.Labels, []string{"from-flag"}) {
		t.Errorf("settings %+v; want the file's milestone 3 and deleteBranch false, and --label's labels", s)
	}
	i := slices.IndexFunc(origins, func(o SettingOrigin) bool { return o.Key == "pullRequest.labels" })
	if i < 0 || origins[i].From != "--label" || origins[i].Value != "from-flag" {
		t.Errorf("origins %+v; want pullRequest.labels from --label", origins)
	}
	var nothing Settings
	if o := nothing.ApplyConfig(nil, nil); len(o) != 10 || o[0].From != "default" {
		t.Errorf("without a file every setting is the default: %+v", o)
	}
}

func TestCheckConfigPlacesATemplatesMissingFieldOnItsLine(t *testing.T) {
	err := CheckConfig(loadSettingsFixture(t))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Pos.Line != 9 || errs[0].Path != "pullRequest.bodyTemplate" || !strings.Contains(errs[0].Message, "can't evaluate field Version") {
		t.Errorf("CheckConfig = %v; want one error at line 9, pullRequest.bodyTemplate, about .Version", err)
	}
	if err := CheckConfig(nil); err != nil {
		t.Errorf("CheckConfig(nil) = %v", err)
	}
}
