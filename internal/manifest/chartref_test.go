package manifest

import (
	"strings"
	"testing"
)

func TestNormalizeChart(t *testing.T) {
	tests := []struct {
		name string
		ref  string
		want string
		// wantErr is a substring of the error, "" when the reference is valid.
		wantErr string
	}{
		{name: "an oci:// reference loses its scheme", ref: "oci://ghcr.io/acme/charts/webapp", want: "ghcr.io/acme/charts/webapp"},
		{name: "the scheme is matched in any case", ref: "OCI://ghcr.io/acme/webapp", want: "ghcr.io/acme/webapp"},
		{name: "the host is lower-cased", ref: "GHCR.io/acme/webapp", want: "ghcr.io/acme/webapp"},
		{name: "trailing slashes are dropped", ref: "ghcr.io/acme/webapp//", want: "ghcr.io/acme/webapp"},
		{name: "surrounding spaces are dropped", ref: "  ghcr.io/acme/webapp ", want: "ghcr.io/acme/webapp"},
		{name: "a port stays with the host", ref: "localhost:5000/charts/api", want: "localhost:5000/charts/api"},
		{name: "an IPv4 host is accepted", ref: "10.0.0.1:443/charts/api", want: "10.0.0.1:443/charts/api"},
		{name: "a bracketed IPv6 host is accepted", ref: "[::1]:5000/charts/api", want: "[::1]:5000/charts/api"},
		{name: "separators . _ __ and dashes are accepted", ref: "ghcr.io/a.b/c_d/e__f/g--h", want: "ghcr.io/a.b/c_d/e__f/g--h"},
		{name: "a single path segment is enough", ref: "registry-1.docker.io/nginx", want: "registry-1.docker.io/nginx"},
		{name: "an upper-case path is not an OCI repository", ref: "ghcr.io/Acme/webapp", wantErr: "is not a valid OCI repository path"},
		{name: "a host alone is not a chart", ref: "ghcr.io", wantErr: "must be host/path/name"},
		{name: "a host with a trailing slash is not a chart", ref: "oci://ghcr.io/", wantErr: "must be host/path/name"},
		{name: "an empty reference is not a chart", ref: "", wantErr: "must be host/path/name"},
		{name: "a missing host is not a chart", ref: "/acme/webapp", wantErr: "must be host/path/name"},
		{name: "a tag is refused", ref: "ghcr.io/acme/webapp:1.2.3", wantErr: "names a tag or digest"},
		{name: "a digest is refused", ref: "ghcr.io/acme/webapp@sha256:0123", wantErr: "names a tag or digest"},
		{name: "an underscore in the host is refused", ref: "my_registry/acme/webapp", wantErr: "is not a registry host name"},
		{name: "a host ending in a dash is refused", ref: "registry-/acme/webapp", wantErr: "is not a registry host name"},
		{name: "a port of six digits is refused", ref: "localhost:123456/acme/webapp", wantErr: "is not a registry host name"},
		{name: "a path segment starting with a separator is refused", ref: "ghcr.io/acme/-webapp", wantErr: "is not a valid OCI repository path"},
		{name: "an empty path segment is refused", ref: "ghcr.io/acme//webapp", wantErr: "is not a valid OCI repository path"},
		{name: "a space inside is refused", ref: "ghcr.io/acme/web app", wantErr: "is not a valid OCI repository path"},
		{name: "an https URL is not an OCI reference", ref: "https://charts.example.com/webapp", wantErr: "is not a registry host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeChart(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NormalizeChart(%q) = %q, %v; want an error containing %q", tt.ref, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeChart(%q) = %q, %v; want %q", tt.ref, got, err, tt.want)
			}
			if again, err := NormalizeChart(got); err != nil || again != got {
				t.Errorf("NormalizeChart is not idempotent: %q → %q, %v", got, again, err)
			}
		})
	}
}

func TestChartReferenceDecidesTheFormLikeArgoCD(t *testing.T) {
	tests := []struct {
		name      string
		repoURL   string
		chart     string
		wantRef   string
		wantForm  Form
		wantChart bool
		// wantProblem and wantNote are substrings; empty means there must be none.
		wantProblem []string
		wantNote    string
	}{
		{name: "a scheme-less repoURL with a chart is Helm OCI", repoURL: "ghcr.io/acme/charts", chart: "web", wantRef: "ghcr.io/acme/charts/web", wantForm: HelmOCI, wantChart: true},
		{name: "a chart with slashes around it is trimmed", repoURL: "ghcr.io/acme/charts/", chart: "/web/", wantRef: "ghcr.io/acme/charts/web", wantForm: HelmOCI, wantChart: true},
		{name: "an oci:// repoURL without chart is native OCI", repoURL: "oci://ghcr.io/acme/charts/web", wantRef: "ghcr.io/acme/charts/web", wantForm: NativeOCI, wantChart: true},
		{
			name: "an oci:// repoURL with another chart never syncs, and the problem gives both forms that do", repoURL: "oci://ghcr.io/acme/charts", chart: "web",
			wantRef: "ghcr.io/acme/charts/web", wantForm: NativeOCI, wantChart: true,
			wantProblem: []string{`repoURL "oci://ghcr.io/acme/charts" with chart "web" never syncs`, "repoURL: oci://ghcr.io/acme/charts/web with path: . (native OCI)", "repoURL: ghcr.io/acme/charts with chart: web (Helm-OCI)"},
		},
		{
			name: "an oci:// repoURL that ends with the chart is native OCI, with a note", repoURL: "oci://ghcr.io/acme/charts/web/", chart: "web",
			wantRef: "ghcr.io/acme/charts/web", wantForm: NativeOCI, wantChart: true, wantNote: `chart "web" is redundant`,
		},
		{
			name: "an oci:// repoURL that ends with a longer name is not the chart", repoURL: "oci://ghcr.io/acme/my-web", chart: "web",
			wantRef: "ghcr.io/acme/my-web/web", wantForm: NativeOCI, wantChart: true, wantProblem: []string{"never syncs", "repoURL: oci://ghcr.io/acme/my-web/web with path: ."},
		},
		{name: "an https Helm repository is not OCI", repoURL: "https://charts.example.com", chart: "web"},
		{name: "a Git URL without chart is not a chart", repoURL: "https://github.com/acme/deploy.git"},
		{name: "an scp-style Git URL is not a chart", repoURL: "git@github.com:acme/charts.git", chart: "web"},
		{name: "a scheme-less .git URL is not a chart", repoURL: "github.com/acme/charts.git", chart: "web"},
		{name: "a scheme-less repoURL without chart is not a chart", repoURL: "github.com/acme/deploy"},
		{name: "a source without repoURL is not a chart", chart: "web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chartReference(tt.repoURL, tt.chart)
			if got.isChart != tt.wantChart {
				t.Fatalf("chartReference(%q, %q) isChart = %v, want %v", tt.repoURL, tt.chart, got.isChart, tt.wantChart)
			}
			if !got.isChart {
				return
			}
			if got.ref != tt.wantRef || got.form != tt.wantForm {
				t.Errorf("chartReference(%q, %q) = %q, %v; want %q, %v", tt.repoURL, tt.chart, got.ref, got.form, tt.wantRef, tt.wantForm)
			}
			if (got.problem == "") != (len(tt.wantProblem) == 0) {
				t.Errorf("problem = %q, want one containing %q", got.problem, tt.wantProblem)
			}
			for _, w := range tt.wantProblem {
				if !strings.Contains(got.problem, w) {
					t.Errorf("problem = %q, want it to contain %q", got.problem, w)
				}
			}
			if strings.Contains(got.problem, "\n") {
				t.Errorf("problem spans lines: %q", got.problem)
			}
			if (got.note == "") != (tt.wantNote == "") || !strings.Contains(got.note, tt.wantNote) {
				t.Errorf("note = %q, want one containing %q", got.note, tt.wantNote)
			}
		})
	}
}

func TestFormString(t *testing.T) {
	for form, want := range map[Form]string{HelmOCI: "helm-oci", NativeOCI: "oci"} {
		if got := form.String(); got != want {
			t.Errorf("Form(%d).String() = %q, want %q", form, got, want)
		}
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{name: "with a line it reads file:line: message", p: Problem{File: "a.yaml", Line: 3, Message: "bad"}, want: "a.yaml:3: bad"},
		{name: "without a line it reads file: message", p: Problem{File: "a.yaml", Message: "bad"}, want: "a.yaml: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
