package registry_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// noRetry keeps a failure from being retried, so each test sees it at once.
func noRetry() registry.Option {
	return registry.WithRetry(0, time.Millisecond, time.Millisecond)
}

func TestAHelperThatIsNotInstalledIsWarnedAboutOnce(t *testing.T) {
	const user, password = "ci-bot", "s3cret-passw0rd"
	dir := isolateCredentials(t)
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(user, password))
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	reg.PushChart(t, "charts", "api", "1.0.0")
	helmConfig := filepath.Join(dir, "helm-registry.json")
	if err := os.WriteFile(helmConfig, []byte(`{"credsStore": "chart-promoter-test-absent"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	writeAuthConfig(t, filepath.Join(dir, "config.json"), reg.Host, user, password)
	store, err := registry.CredentialStore(registry.CredentialOptions{HelmConfig: helmConfig})
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, reg, registry.WithCredentials(store))
	for _, chart := range []string{"charts/webapp", "charts/api", "charts/webapp"} {
		if _, err := client.Chart(context.Background(), reg.Host+"/"+chart, "1.0.0"); err != nil {
			t.Fatalf("%s failed where the missing helper should have been passed over for docker's config: %v", chart, err)
		}
	}
	warnings := client.Warnings()
	if len(warnings) != 1 {
		t.Fatalf("warnings = %q, want exactly one", warnings)
	}
	for _, want := range []string{"docker-credential-chart-promoter-test-absent", "not installed", helmConfig} {
		if !strings.Contains(warnings[0], want) {
			t.Errorf("warning %q does not mention %q", warnings[0], want)
		}
	}
}

func TestHintsNameTheSettingThatFixesTheConnection(t *testing.T) {
	isolateCredentials(t)
	tlsRegistry := testenv.StartRegistry(t)
	tlsRegistry.PushChart(t, "charts", "webapp", "1.0.0")
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedHost := closed.Addr().String()
	closed.Close()

	actionSpelling := func(name, value string) string {
		if value == "" {
			value = "true"
		}
		return "`" + name + ": " + value + "`"
	}
	tests := []struct {
		name  string
		host  string
		opts  []registry.Option
		want  string
		trust bool
	}{
		{name: "plain HTTP to a TLS registry says to drop --plain-http", host: tlsRegistry.Host, opts: []registry.Option{registry.WithPlainHTTP(true)},
			want: "it most likely speaks HTTPS; drop --plain-http"},
		{name: "TLS to a plain HTTP registry says to retry with --plain-http", host: strings.TrimPrefix(plain.URL, "http://"),
			want: "speaks plain HTTP, not HTTPS: if it is a local registry, retry with --plain-http"},
		{name: "the Action's spelling of a setting is used when the client is given it", host: strings.TrimPrefix(plain.URL, "http://"), opts: []registry.Option{registry.WithSettingNames(actionSpelling)},
			want: "retry with `plain-http: true`"},
		{name: "an unverifiable certificate says to give the CA", host: tlsRegistry.Host, trust: false,
			want: "give the registry's CA with --ca-file FILE"},
		{name: "a refused connection asks whether the registry runs", host: refusedHost,
			want: "connection refused: is the registry running, and is " + refusedHost + " the right host and port?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]registry.Option{noRetry()}, tt.opts...)
			if tt.trust {
				opts = append(opts, registry.WithRootCAs(tlsRegistry.CertPool))
			}
			client, err := registry.New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = client.Tags(context.Background(), tt.host+"/charts/webapp")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

func TestInsecureSkipVerifyReadsAnUnverifiableRegistryAndWarns(t *testing.T) {
	isolateCredentials(t)
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	client, err := registry.New(registry.WithInsecureSkipVerify(true), noRetry()) // the CA is not trusted
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Tags(context.Background(), reg.Host+"/charts/webapp"); err != nil {
		t.Fatalf("Tags: %v", err)
	}
	if w := client.Warnings(); len(w) != 1 || !strings.Contains(w[0], "--insecure-skip-tls-verify: registry certificates are not verified") {
		t.Errorf("warnings = %q, want one about --insecure-skip-tls-verify", w)
	}
}

func TestAClientCertificateOpensAMutualTLSRegistry(t *testing.T) {
	isolateCredentials(t)
	reg := testenv.StartRegistry(t, testenv.WithClientCertificates())
	reg.PushChart(t, "charts", "webapp", "1.0.0")

	without := newClient(t, reg, noRetry())
	if _, err := without.Tags(context.Background(), reg.Host+"/charts/webapp"); err == nil {
		t.Fatal("a client without a certificate was let in: the registry does not demand one")
	}
	with := newClient(t, reg, noRetry(), registry.WithClientCertificate(reg.ClientCertFile, reg.ClientKeyFile))
	tags, err := with.Tags(context.Background(), reg.Host+"/charts/webapp")
	if err != nil || len(tags) != 1 {
		t.Fatalf("Tags with the client certificate = %v, %v", tags, err)
	}
}

func TestAClientCertificateNeedsItsKey(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithClientCertificates())
	for _, tt := range []struct{ name, cert, key, want string }{
		{"a certificate without a key", reg.ClientCertFile, "", "together"},
		{"a key that is not the certificate's", reg.ClientCertFile, reg.CAFile, "load the client certificate"},
		{"a certificate file that does not exist", filepath.Join(t.TempDir(), "none.pem"), reg.ClientKeyFile, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.New(registry.WithClientCertificate(tt.cert, tt.key))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--cert-file") {
				t.Errorf("error %v, want one naming --cert-file with %q", err, tt.want)
			}
		})
	}
}

func TestHelmsRegistryConfigIsWhereHelmKeepsIt(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "HELM_REGISTRY_CONFIG names the file", env: map[string]string{"HELM_REGISTRY_CONFIG": "/etc/helm.json", "HELM_CONFIG_HOME": "/h"}, want: "/etc/helm.json"},
		{name: "HELM_CONFIG_HOME holds registry/config.json", env: map[string]string{"HELM_CONFIG_HOME": "/h", "XDG_CONFIG_HOME": "/x"}, want: "/h/registry/config.json"},
		{name: "XDG_CONFIG_HOME holds helm/registry/config.json", env: map[string]string{"XDG_CONFIG_HOME": "/x"}, want: "/x/helm/registry/config.json"},
	}
	switch runtime.GOOS {
	case "darwin":
		tests = append(tests, struct {
			name string
			env  map[string]string
			want string
		}{name: "on macOS, ~/Library/Preferences/helm", want: filepath.Join(home, "Library", "Preferences", "helm", "registry", "config.json")})
	case "linux":
		tests = append(tests, struct {
			name string
			env  map[string]string
			want string
		}{name: "on Linux, ~/.config/helm", want: filepath.Join(home, ".config", "helm", "registry", "config.json")})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HELM_REGISTRY_CONFIG", "HELM_CONFIG_HOME", "XDG_CONFIG_HOME"} {
				t.Setenv(k, tt.env[k])
			}
			if got := registry.HelmRegistryConfigPath(); got != filepath.FromSlash(tt.want) {
				t.Errorf("HelmRegistryConfigPath() = %q, want %q", got, tt.want)
			}
		})
	}
}
