package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/setting"
)

// Environment variables read for registry credentials, for CI systems that inject secrets
// as variables rather than files.
const (
	envUsername = "CHART_PROMOTER_REGISTRY_USERNAME"
	envPassword = "CHART_PROMOTER_REGISTRY_PASSWORD"
)

// registryFlags are the flags every command that talks to a registry shares.
type registryFlags struct {
	mirrors        []string
	plainHTTP      bool
	insecure       bool
	caFile         string
	certFile       string
	keyFile        string
	username       string
	passwordStdin  bool
	registryConfig string
	registryHosts  []string
	requestTimeout time.Duration
	retries        int
}

func (f *registryFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.mirrors, "mirror", nil, "resolve charts of HOST[/PATH] from TARGET: another registry (mirror.local/ghcr) or oci-layout:DIR (repeatable)")
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "use plain HTTP, not HTTPS, for every registry (local registries only)")
	fl.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "accept any registry certificate, unverified (warns; prefer --ca-file)")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM file of CA certificates to trust besides the system's (SSL_CERT_FILE is honoured too)")
	fl.StringVar(&f.certFile, "cert-file", "", "PEM client certificate for registries that ask for one (mutual TLS); with --key-file")
	fl.StringVar(&f.keyFile, "key-file", "", "PEM key of the --cert-file certificate")
	fl.StringVar(&f.username, "username", "", "registry username (also "+envUsername+")")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the registry password or token from stdin (also "+envPassword+")")
	fl.StringVar(&f.registryConfig, "registry-config", "", "Helm's registry config, as helm's flag (default $HELM_REGISTRY_CONFIG, else where `helm registry login` writes); read before docker's config.json")
	fl.StringArrayVar(&f.registryHosts, "registry-host", nil, "registry the --username credentials belong to (default: the hosts of --chart)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", 30*time.Second, "how long one registry request (with promote, also one GitHub API request) may wait for a response")
	fl.IntVar(&f.retries, "retries", registry.DefaultRetries, "times a registry read is retried after a 429, a 5xx, a timeout or a dropped connection, with backoff (0: never)")
}

// client builds the registry client; chartRefs are the --chart references, whose hosts
// explicit credentials default to.
func (f *registryFlags) client(stdin io.Reader, chartRefs []string) (*registry.Client, error) {
	if f.retries < 0 {
		return nil, usagef("--retries must be 0 or more")
	}
	username, password := f.username, ""
	source := "--username and --password-stdin"
	if username == "" {
		username = os.Getenv(envUsername)
		source = envUsername + " and " + envPassword
	}
	if f.passwordStdin {
		if f.username == "" && username == "" {
			return nil, usagef("--password-stdin needs --username (or %s)", envUsername)
		}
		b, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("read password from stdin: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	} else if p, ok := os.LookupEnv(envPassword); ok {
		password = p
	}
	if username != "" && password == "" {
		return nil, usagef("registry username %q given without a password: pipe it to --password-stdin or set %s", username, envPassword)
	}
	hosts := f.registryHosts
	if len(hosts) == 0 {
		for _, ref := range chartRefs {
			if norm, err := manifest.NormalizeChart(ref); err == nil {
				hosts = append(hosts, strings.SplitN(norm, "/", 2)[0])
			}
		}
	}
	store, err := registry.CredentialStore(registry.CredentialOptions{
		Username: username, Password: password, Hosts: hosts, ExplicitSource: source, HelmConfig: f.registryConfig,
	})
	if err != nil {
		if username != "" && len(hosts) == 0 {
			return nil, usageError{err}
		}
		return nil, err
	}
	opts := []registry.Option{
		registry.WithCredentials(store),
		registry.WithSettingNames(setting.Flag),
		registry.WithPlainHTTP(f.plainHTTP),
		registry.WithInsecureSkipVerify(f.insecure),
		registry.WithClientCertificate(f.certFile, f.keyFile),
		registry.WithRequestTimeout(f.requestTimeout),
		registry.WithRetry(f.retries, registry.DefaultRetryDelay, registry.DefaultRetryMaxDelay),
		registry.WithUserAgent("chart-promoter/" + buildVersion),
		registry.WithMirrors(f.mirrors...),
	}
	if f.caFile != "" {
		opts = append(opts, registry.WithCAFile(f.caFile))
	}
	c, err := registry.New(opts...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// outputFlags choose how a command prints its result: -o/--output, with --json kept as
// the spelling of -o json that earlier versions had.
type outputFlags struct {
	output string
	json   bool
}

func (f *outputFlags) register(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table (for people), json or yaml; json and yaml print "+what+" on stdout and nothing else")
	fl.BoolVar(&f.json, "json", false, "same as --output json")
}

// format returns "table", "json" or "yaml".
func (f *outputFlags) format() (string, error) {
	switch f.output {
	case "table", "json", "yaml":
	default:
		return "", usagef("--output must be table, json or yaml, not %q", f.output)
	}
	if f.json {
		if f.output != "table" && f.output != "json" {
			return "", usagef("--json and --output %s disagree: give one of them", f.output)
		}
		return "json", nil
	}
	return f.output, nil
}

// printWarnings puts a plan's warnings on stderr, where a person sees them beside a JSON
// or YAML document on stdout (the table lists them itself).
func printWarnings(w io.Writer, warnings []promote.Warning) {
	for _, warning := range warnings {
		fmt.Fprintln(w, "warning:", warning.Describe(setting.Flag))
	}
}

// colorFlag is "auto", "always" or "never".
func useColor(mode string, out io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		f, ok := out.(*os.File)
		if !ok {
			return false, nil
		}
		info, err := f.Stat()
		return err == nil && info.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, usagef("--color must be auto, always or never, not %q", mode)
}
