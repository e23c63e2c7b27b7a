package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/helmpath"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// CredentialOptions say where registry credentials come from.
type CredentialOptions struct {
	// Username and Password are explicit credentials (--username, --password-stdin).
	Username, Password string
	// Hosts are the registries the explicit credentials belong to; they are given to no other.
	Hosts []string
	// ExplicitSource names the explicit credentials in messages the way the user gave
	// them ("--username and --password-stdin"); default "the explicit credentials".
	ExplicitSource string
	// DockerConfig is a docker config.json to read instead of $DOCKER_CONFIG/config.json or
	// ~/.docker/config.json.
	DockerConfig string
	// HelmConfig is Helm's registry config to read instead of $HELM_REGISTRY_CONFIG or
	// Helm's default path (helmpath's, per operating system).
	HelmConfig string
}

// Credentials finds the credentials of a registry in a chain of sources, first match
// wins, in the order helm itself uses. It remembers which source answered for each
// registry, so that a rejected login can be traced to where it came from, and collects
// warnings about sources it had to pass over. It is safe for concurrent use.
type Credentials struct {
	sources []credentialSource

	mu       sync.Mutex
	used     map[string]string // server address → the source that gave its credentials
	warned   map[string]bool
	warnings []string
}

// credentialSource is one place credentials are kept.
type credentialSource struct {
	store credentials.Store
	// describe names the source for a server address, e.g. "docker's config
	// ~/.docker/config.json (credential helper docker-credential-pass)".
	describe func(serverAddress string) string
}

// storeOptions are helm's (pkg/registry/client.go, NewClient): a login-less config
// detects the platform's default credential helper, as `docker login` would use.
var storeOptions = credentials.StoreOptions{DetectDefaultNativeStore: true}

// CredentialStore builds the credential chain helm users expect, in helm's own order
// (helm.sh/helm/v3 v3.22.0, pkg/registry/client.go, NewClient: the store of
// ClientOptCredentialsFile — HELM_REGISTRY_CONFIG, else helmpath.ConfigPath
// ("registry/config.json") — with docker's config as its fallback, through
// credentials.NewStoreWithFallbacks):
//
//  1. explicit credentials (--username with --password-stdin), for their hosts only;
//     helm uses ClientOptBasicAuth instead of the stores, for every host;
//  2. Helm's registry config, where `helm registry login` writes;
//  3. docker's config.json ($DOCKER_CONFIG, else ~/.docker/config.json), with its
//     credential helpers (credsStore, credHelpers).
//
// So a fresh `helm registry login` wins over stale docker credentials for the same host.
// Unlike helm, a credential helper that is not installed is not the end of the lookup:
// it is warned about once, and the next source is asked.
func CredentialStore(o CredentialOptions) (*Credentials, error) {
	c := &Credentials{used: map[string]string{}, warned: map[string]bool{}}
	if o.Username != "" || o.Password != "" {
		if len(o.Hosts) == 0 {
			return nil, fmt.Errorf("explicit registry credentials need the registry they belong to: name the chart with --chart, or the host with --registry-host")
		}
		explicit := credentials.NewMemoryStore()
		for _, h := range o.Hosts {
			host := strings.ToLower(strings.TrimSpace(h))
			if err := explicit.Put(context.Background(), credentials.ServerAddressFromRegistry(host), auth.Credential{Username: o.Username, Password: o.Password}); err != nil {
				return nil, err
			}
		}
		name := cmp.Or(o.ExplicitSource, "the explicit credentials")
		c.sources = append(c.sources, credentialSource{store: explicit, describe: func(string) string { return name }})
	}

	helmPath := cmp.Or(o.HelmConfig, HelmRegistryConfigPath())
	helm, err := credentials.NewStore(helmPath, storeOptions)
	switch {
	case err != nil && strings.Contains(err.Error(), "invalid config format: EOF"):
		// An empty file, which helm reads as no logins (NewClient does the same).
	case err != nil:
		return nil, fmt.Errorf("read Helm's registry config %s: %w (fix or remove the file, or run `helm registry login` again)", helmPath, err)
	default:
		c.sources = append(c.sources, credentialSource{store: helm, describe: configDescriber("Helm's registry config", helmPath)})
	}

	dockerPath := dockerConfigPath(o.DockerConfig)
	docker, err := credentials.NewStore(dockerPath, storeOptions)
	if err != nil {
		return nil, fmt.Errorf("read docker's config %s: %w (fix or remove the file, or run `docker login` again)", dockerPath, err)
	}
	c.sources = append(c.sources, credentialSource{store: docker, describe: configDescriber("docker's config", dockerPath)})
	return c, nil
}

// Get returns the credentials of the first source that has some for serverAddress (as
// credentials.ServerAddressFromHostname spells it), or none.
func (c *Credentials) Get(ctx context.Context, serverAddress string) (auth.Credential, error) {
	for _, s := range c.sources {
		cred, err := s.store.Get(ctx, serverAddress)
		var notInstalled *exec.Error
		switch {
		case errors.As(err, &notInstalled) && errors.Is(err, exec.ErrNotFound):
			c.warnOnce(notInstalled.Name, fmt.Sprintf("%s uses the credential helper %s, which is not installed (not on PATH): its logins are not used, and the next place is asked; install the helper, or remove credsStore/credHelpers from the file",
				s.describe(""), notInstalled.Name))
			continue
		case err != nil:
			return auth.EmptyCredential, fmt.Errorf("read the credentials for %s from %s: %w", serverAddress, s.describe(serverAddress), err)
		case cred == auth.EmptyCredential:
			continue
		}
		c.mu.Lock()
		c.used[serverAddress] = s.describe(serverAddress)
		c.mu.Unlock()
		return cred, nil
	}
	return auth.EmptyCredential, nil
}

// Put refuses: the tool only reads credentials.
func (c *Credentials) Put(context.Context, string, auth.Credential) error {
	return errors.New("chart-promoter does not store credentials: log in with `helm registry login` or `docker login`")
}

// Delete refuses: the tool only reads credentials.
func (c *Credentials) Delete(context.Context, string) error {
	return errors.New("chart-promoter does not remove credentials: use `helm registry logout` or `docker logout`")
}

// SourceOf names where the credentials last given for host came from, or "" when none
// were given for it.
func (c *Credentials) SourceOf(host string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used[credentials.ServerAddressFromHostname(host)]
}

// Warnings returns what the lookups so far had to pass over, each said once.
func (c *Credentials) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.warnings...)
}

func (c *Credentials) warnOnce(key, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.warned[key] {
		c.warned[key] = true
		c.warnings = append(c.warnings, msg)
	}
}

// dockerConfigPath is the docker config.json docker itself reads.
func dockerConfigPath(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".docker", "config.json")
	}
	return filepath.Join(".docker", "config.json")
}

// HelmRegistryConfigPath is where `helm registry login` writes, by helm's own rules:
// $HELM_REGISTRY_CONFIG, else registry/config.json in helm's configuration directory
// ($HELM_CONFIG_HOME, $XDG_CONFIG_HOME/helm, ~/.config/helm on Linux,
// ~/Library/Preferences/helm on macOS, %APPDATA%\helm on Windows).
func HelmRegistryConfigPath() string {
	return cmp.Or(os.Getenv("HELM_REGISTRY_CONFIG"), helmpath.ConfigPath("registry", "config.json"))
}

// configDescriber names a docker-format config file as a credential source, with the
// credential helper it sends serverAddress to, if any.
func configDescriber(what, path string) func(serverAddress string) string {
	var helpers struct {
		CredsStore  string            `json:"credsStore"`
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if data, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(data, &helpers) // the store has parsed it already
	}
	return func(serverAddress string) string {
		name := what + " " + path
		if helper := cmp.Or(helpers.CredHelpers[serverAddress], helpers.CredsStore); helper != "" && serverAddress != "" {
			name += " (credential helper docker-credential-" + helper + ")"
		}
		return name
	}
}
