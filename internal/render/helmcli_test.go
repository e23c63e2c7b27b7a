package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	helmcmd "helm.sh/helm/v4/pkg/cmd"
)

// dirRepository is a Repository read from a directory, standing for the Git checkout
// (gitRepository, tested with real git, reads the same files from commits).
type dirRepository struct{ root, url string }

func (d dirRepository) Holds(repoURL string) bool { return SameRepository(repoURL, d.url) }

func (d dirRepository) ReadFile(_, p string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.root, filepath.FromSlash(p)))
}

// helmTemplate runs Helm 4's own `helm template` command (the cobra command the helm
// binary runs, in-process: this machine has no helm binary) and returns what it prints.
func helmTemplate(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd, err := helmcmd.NewRootCmd(&out, args, func(bool) {})
	if err != nil {
		t.Fatalf("helm %v: %v", args, err)
	}
	cmd.SetArgs(args)
	cmd.SetErr(&out)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestRenderingEqualsHelmTemplate renders an Application that uses every Helm setting,
// and runs `helm template` with the flags Argo CD's repo server builds for it (see
// helmTemplate in argo-cd's reposerver/repository/repository.go and Cmd.template in
// util/helm/cmd.go): the outputs must be the same bytes.
func TestRenderingEqualsHelmTemplate(t *testing.T) {
	file, err := os.ReadFile("testdata/applications/every-setting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	app, err := ReadApplication(file, Where{Line: 22, SourcePath: "spec.sources[0]", Name: "webapp-production"})
	if err != nil {
		t.Fatal(err)
	}
	repo := dirRepository{root: "testdata/repo", url: "https://github.com/acme/gitops"}
	for _, version := range []string{"1.0.0", "1.1.0"} {
		t.Run(version, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "webapp-"+version+".tgz")
			if err := os.WriteFile(archive, packageChart(t, "webapp-"+version), 0o644); err != nil {
				t.Fatal(err)
			}
			// The extra values file Argo CD writes: valuesObject's JSON as YAML.
			extra := filepath.Join(dir, "extra-values")
			if err := os.WriteFile(extra, []byte("extraEnv:\n  BIG_NUMBER: 1000000\n  FROM_OBJECT: object\nreplicas: 5\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			abs := func(p string) string {
				a, err := filepath.Abs(p)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			want := helmTemplate(t, "template", archive,
				"--name-template", "webapp",
				"--namespace", "shop-prod",
				"--kube-version", "1.31.2", // Argo CD's parseKubeVersion of v1.31.2-gke.100
				"--set", `extraEnv.APP=webapp-production-`+version,
				"--set", `extraEnv.LIST=a\,b`,
				"--set", "image.tag=1.25.9",
				"--set-string", "extraEnv.FORCED=0123",
				"--set-file", "extraEnv.CONFIG="+abs("testdata/repo/apps/webapp/config.txt"),
				"--values", abs("testdata/charts/webapp-"+version+"/values-production.yaml"),
				"--values", abs("testdata/repo/apps/webapp/values.yaml"),
				"--values", abs("testdata/repo/apps/webapp/webapp-production.yaml"),
				"--values", extra,
				"--api-versions", "monitoring.coreos.com/v1",
				"--include-crds",
				"--skip-tests",
			)
			c := loadChart(t, "webapp-"+version)
			vals, err := valuesFor(app, buildEnv(app, version), c.files, repo)
			if err != nil {
				t.Fatal(err)
			}
			if len(vals.notes) > 0 {
				t.Errorf("notes: %v", vals.notes)
			}
			got, err := template(context.Background(), c, app, vals.vals, Cluster{})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("rendering differs from helm template:\n%s", firstDifference(got, want))
			}
			// The settings must have reached the output, or equal outputs prove little.
			for _, s := range []string{
				"kind: CustomResourceDefinition", "kind: ServiceMonitor", `kubernetes-version: "v1.31.2"`,
				"name: webapp-web", "namespace: shop-prod", "replicas: 5", `image: "nginx:1.25.9"`,
				"containerPort: 9090", `value: "db.production.internal"`, `value: "repository"`, `value: "object"`,
				`value: "0123"`, `value: "a,b"`, `value: "line one\nline two, with a comma\n"`,
				`value: "webapp-production-` + version + `"`, `value: "1e+06"`, "kind: Job",
			} {
				if !strings.Contains(got, s) {
					t.Errorf("rendering lacks %q", s)
				}
			}
			for _, s := range []string{"FROM_VALUES", "kind: Pod", "NOTES"} {
				if strings.Contains(got, s) {
					t.Errorf("rendering has %q, which Argo CD's settings leave out", s)
				}
			}
		})
	}
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got %q, helm template printed %q", i+1, gl, wl)
		}
	}
	return ""
}
