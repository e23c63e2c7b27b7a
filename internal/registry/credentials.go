package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// CredentialOptions say where registry credentials come from.
type CredentialOptions struct {
	// Username and Password are explicit credentials (--username, --password-stdin).
	Username, Password string
	// Hosts are the registries the explicit credentials belong to; they are given to no other.
	Hosts []string
	// DockerConfig is a docker config.json to read instead of $DOCKER_CONFIG/config.json or
	// ~/.docker/config.json.
	DockerConfig string
	// HelmConfig is Helm's registry config to read instead of $HELM_REGISTRY_CONFIG or
	// Helm's default path.
	HelmConfig string
}

// CredentialStore builds the credential chain helm and oras users expect: explicit
// credentials first, then docker's config.json (with its credential helpers), then
// Helm's registry config (written by `helm registry login`).
func CredentialStore(o CredentialOptions) (credentials.Store, error) {
	var stores []credentials.Store
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
		stores = append(stores, explicit)
	}

	var docker *credentials.DynamicStore
	var err error
	if o.DockerConfig != "" {
		docker, err = credentials.NewStore(o.DockerConfig, credentials.StoreOptions{})
	} else {
		docker, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("read docker credentials (%s): %w", dockerConfigPath(o.DockerConfig), err)
	}
	stores = append(stores, docker)

	helmPath := o.HelmConfig
	if helmPath == "" {
		helmPath = helmRegistryConfigPath()
	}
	if helmPath != "" {
		if _, statErr := os.Stat(helmPath); statErr == nil {
			helm, err := credentials.NewStore(helmPath, credentials.StoreOptions{})
			if err != nil {
				return nil, fmt.Errorf("read Helm registry credentials (%s): %w", helmPath, err)
			}
			stores = append(stores, helm)
		}
	}
	return credentials.NewStoreWithFallbacks(stores[0], stores[1:]...), nil
}

func dockerConfigPath(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	return "~/.docker/config.json"
}

// helmRegistryConfigPath is where `helm registry login` writes, by Helm's own rules.
func helmRegistryConfigPath() string {
	if p := os.Getenv("HELM_REGISTRY_CONFIG"); p != "" {
		return p
	}
	if dir := os.Getenv("HELM_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "registry", "config.json")
	}
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "helm", "registry", "config.json")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".config", "helm", "registry", "config.json")
	}
	return ""
}
