package render

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

func TestReadApplicationFindsTheSourceAndItsRefs(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		where Where
		want  Application
	}{
		{
			name:  "an Application with a ref source, in the second document of its file",
			file:  "every-setting.yaml",
			where: Where{Line: 22, SourcePath: "spec.sources[0]", Name: "webapp-production"},
			want: Application{Name: "webapp-production", Project: "shop", Namespace: "shop-prod", RepoURL: "ghcr.io/acme/charts", Chart: "webapp",
				Refs: map[string]RefSource{"$values": {RepoURL: "https://github.com/acme/gitops.git", TargetRevision: "main"}}},
		},
		{
			name:  "an ApplicationSet element, its parameters filled into the Helm settings",
			file:  "applicationset.yaml",
			where: Where{Line: 15, SourcePath: "spec.template.spec.sources[0]", ElementPath: "spec.generators[0].list.elements[1]", Name: "webapp-production"},
			want: Application{Name: "webapp-production", Project: "shop", Namespace: "shop-production", RepoURL: "ghcr.io/acme/charts", Chart: "webapp",
				Helm: Helm{ValueFiles: []string{"$values/apps/webapp/production.yaml"}, Parameters: []Parameter{{Name: "replicas", Value: "4"}}},
				Refs: map[string]RefSource{"$values": {RepoURL: "https://github.com/acme/gitops.git", TargetRevision: "main"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, err := os.ReadFile("testdata/applications/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadApplication(file, tt.where)
			if err != nil {
				t.Fatal(err)
			}
			if tt.file == "every-setting.yaml" {
				if got.Helm.ReleaseName != "webapp" || len(got.Helm.ValueFiles) != 3 || len(got.Helm.Parameters) != 4 || len(got.Helm.FileParameters) != 1 || !got.Helm.SkipTests || got.Helm.KubeVersion != "v1.31.2-gke.100" {
					t.Errorf("helm settings not read: %+v", got.Helm)
				}
				got.Helm = Helm{}
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ReadApplication = %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestReadApplicationRefusesSettingsTemplatedFromElsewhere(t *testing.T) {
	file, err := os.ReadFile("testdata/applications/applicationset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadApplication(file, Where{Line: 57, SourcePath: "spec.template.spec.source", Name: "by-cluster"})
	if !errors.Is(err, ErrTemplated) {
		t.Errorf("ReadApplication = %v, want ErrTemplated: a cluster generator's parameters are not in the file", err)
	}
}

func TestSameRepository(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://github.com/acme/gitops.git", "https://github.com/acme/gitops", true},
		{"git@github.com:acme/gitops.git", "https://GitHub.com/acme/gitops/", true},
		{"ssh://git@github.com/acme/gitops", "https://x-access-token:t@github.com/acme/gitops.git", true},
		{"https://github.com/acme/gitops", "https://github.com/acme/other", false},
		{"https://gitlab.com/acme/gitops", "https://github.com/acme/gitops", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := SameRepository(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRepository(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
