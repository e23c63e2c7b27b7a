package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestOutputFormatsAreTheOnesHelmAndKubectlSpell(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	dir := copyFixture(t, "fleet/in", reg.Host)
	common := []string{"--dir", dir, "--ca-file", reg.CAFile}

	jsonOut := runCLI(t, "", append([]string{"plan", "-o", "json"}, common...)...)
	alias := runCLI(t, "", append([]string{"plan", "--json"}, common...)...)
	if jsonOut.code != exitOK || jsonOut.stdout != alias.stdout {
		t.Errorf("-o json and --json differ:\n%s\n%s", jsonOut, alias)
	}
	yamlOut := runCLI(t, "", append([]string{"plan", "--output", "yaml"}, common...)...)
	var doc struct {
		Changes []struct {
			File, From, To string
		} `yaml:"changes"`
		Warnings []any `yaml:"warnings"`
	}
	if err := yaml.Unmarshal([]byte(yamlOut.stdout), &doc); err != nil || yamlOut.code != exitOK || len(doc.Changes) != 2 || doc.Warnings == nil {
		t.Errorf("-o yaml: %v, %+v\n%s", err, doc, yamlOut)
	}
	resolved := runCLI(t, "", "resolve", "oci://"+reg.Host+"/charts/webapp", "-o", "yaml", "--ca-file", reg.CAFile)
	if !strings.Contains(resolved.stdout, "version: 1.3.0\n") {
		t.Errorf("resolve -o yaml:\n%s", resolved)
	}
	for _, args := range [][]string{{"plan", "-o", "xml"}, {"plan", "--json", "-o", "yaml"}} {
		if res := runCLI(t, "", append(args, common...)...); res.code != exitUsage || !strings.Contains(res.stderr, "--output") {
			t.Errorf("%v: %s", args, res)
		}
	}
	// --debug is helm's spelling of -v: after an apply, both list what is up to date.
	if res := runCLI(t, "", append([]string{"apply"}, common...)...); res.code != exitOK {
		t.Fatal(res)
	}
	debug := runCLI(t, "", append([]string{"plan", "--debug"}, common...)...)
	verbose := runCLI(t, "", append([]string{"plan", "-v"}, common...)...)
	quiet := runCLI(t, "", append([]string{"plan"}, common...)...)
	if !strings.Contains(debug.stdout, "Up to date (2):") || debug.stdout != verbose.stdout || strings.Contains(quiet.stdout, "Up to date (") {
		t.Errorf("--debug, -v and neither:\n%s\n%s\n%s", debug, verbose, quiet)
	}
}

func TestAChartNoSourceUsesIsAWarningWithASuggestion(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	dir := copyFixture(t, "fleet/in", reg.Host)
	typo := "oci://" + reg.Host + "/charts/webap"
	want := "--chart: no source uses " + reg.Host + "/charts/webap; did you mean " + reg.Host + "/charts/webapp?"

	text := runCLI(t, "", "plan", "--dir", dir, "--ca-file", reg.CAFile, "--chart", typo)
	if text.code != exitOK || !strings.Contains(text.stdout, "warning: "+want) || !strings.Contains(text.stdout, "1 warning(s)") {
		t.Errorf("the text report lacks the warning:\n%s", text)
	}
	asJSON := runCLI(t, "", "plan", "-o", "json", "--dir", dir, "--ca-file", reg.CAFile, "--chart", typo)
	if asJSON.code != exitOK || !strings.Contains(asJSON.stdout, `"chart": "`+reg.Host+`/charts/webap"`) || !strings.Contains(asJSON.stderr, "warning: "+want) {
		t.Errorf("the JSON document or stderr lacks the warning:\n%s", asJSON)
	}
}

func TestRegistryConfigIsHelmsAsInHelm(t *testing.T) {
	isolateCLICredentials(t)
	const user, password = "ci-bot", "s3cret-passw0rd"
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth(user, password))
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	config := filepath.Join(t.TempDir(), "helm-registry.json")
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	if err := os.WriteFile(config, fmt.Appendf(nil, `{"auths": {%q: {"auth": %q}}}`, reg.Host, auth), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "", "resolve", "oci://"+reg.Host+"/charts/webapp", "--ca-file", reg.CAFile, "--registry-config", config)
	if res.code != exitOK || !strings.HasPrefix(res.stdout, "1.0.0\t") {
		t.Errorf("--registry-config: %s", res)
	}
}

func TestTLSFlagsAsHelmSpellsThem(t *testing.T) {
	isolateCLICredentials(t)
	reg := testenv.StartRegistry(t, testenv.WithClientCertificates())
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	chart := "oci://" + reg.Host + "/charts/webapp"

	withCert := runCLI(t, "", "resolve", chart, "--ca-file", reg.CAFile, "--cert-file", reg.ClientCertFile, "--key-file", reg.ClientKeyFile)
	if withCert.code != exitOK || !strings.HasPrefix(withCert.stdout, "1.0.0\t") {
		t.Errorf("--cert-file/--key-file: %s", withCert)
	}
	if res := runCLI(t, "", "resolve", chart, "--ca-file", reg.CAFile, "--cert-file", reg.ClientCertFile); res.code != exitUsage || !strings.Contains(res.stderr, "--cert-file") {
		t.Errorf("--cert-file without --key-file: %s", res)
	}
	insecure := runCLI(t, "", "resolve", chart, "--insecure-skip-tls-verify", "--cert-file", reg.ClientCertFile, "--key-file", reg.ClientKeyFile)
	if insecure.code != exitOK || !strings.Contains(insecure.stderr, "warning: --insecure-skip-tls-verify: registry certificates are not verified") {
		t.Errorf("--insecure-skip-tls-verify: %s", insecure)
	}
}
