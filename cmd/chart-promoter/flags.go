package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/registry"
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
	caFile         string
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
	fl.StringVar(&f.caFile, "ca-file", "", "PEM file of CA certificates to trust besides the system's (SSL_CERT_FILE is honoured too)")
	fl.StringVar(&f.username, "username", "", "registry username (also "+envUsername+")")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the registry password or token from stdin (also "+envPassword+")")
	fl.StringVar(&f.registryConfig, "registry-config", "", "docker config.json to read credentials from (default $DOCKER_CONFIG/config.json, then Helm's registry config)")
	fl.StringArrayVar(&f.registryHosts, "registry-host", nil, "registry the --username credentials belong to (default: the hosts of --chart)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", 30*time.Second, "how long one registry request (with promote, also one GitHub API request) may wait for a response")
	fl.IntVar(&f.retries, "retries", registry.DefaultRetries, "times a registry read is retried after a 429, a 5xx, a timeout or a dropped connection, with backoff (0: never)")
}

// client builds the registry client; chartRefs are the --chart references, whose hosts
// explicit credentials default to.
func (f *registryFlags) client(stdin io.Reader, stderr io.Writer, chartRefs []string) (*registry.Client, error) {
	if f.retries < 0 {
		return nil, usagef("--retries must be 0 or more")
	}
	username, password := f.username, ""
	if username == "" {
		username = os.Getenv(envUsername)
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
		Username: username, Password: password, Hosts: hosts, DockerConfig: f.registryConfig,
	})
	if err != nil {
		if username != "" && len(hosts) == 0 {
			return nil, usageError{err}
		}
		return nil, err
	}
	if f.plainHTTP {
		fmt.Fprintln(stderr, "warning: --plain-http: registry traffic, credentials included, is not encrypted")
	}
	opts := []registry.Option{
		registry.WithCredentials(store),
		registry.WithPlainHTTP(f.plainHTTP),
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
