package promote_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// floorConcurrency is how many repositories the floor client reads at once.
const floorConcurrency = 16

// floorClient is the registry-only floor a plan is measured against: a bare HTTP client
// that does, per repository, what no plan can do without (one tag list, one manifest,
// one chart config) 16 repositories at a time, and nothing else: no files, no
// credentials, no retries, no version logic beyond decoding the JSON it needs to take the
// next step. Its transport is Go's default one (HTTP/2 when the registry offers it, 16
// idle connections per host kept), fresh for every run like the plan's client.
type floorClient struct {
	roots *x509.CertPool
}

// floorRead is what the floor reads of one repository: its tag list, then the manifest of
// each tag in tags and the config blob that manifest names.
type floorRead struct {
	repo string
	tags []string
}

// run makes the reads of host that reads lists, floorConcurrency repositories at a time.
func (f floorClient) run(ctx context.Context, host string, reads []floorRead) error {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: f.roots}
	transport.MaxIdleConnsPerHost = floorConcurrency
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	next := make(chan floorRead)
	errs := make(chan error, floorConcurrency)
	var wg sync.WaitGroup
	for range floorConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if err := readRepository(ctx, client, "https://"+host+"/v2/"+r.repo, r.tags); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for _, r := range reads {
		select {
		case next <- r:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	for e := range errs {
		err = e
	}
	return err
}

// readRepository is the floor's work for one repository at base (https://host/v2/repo).
func readRepository(ctx context.Context, client *http.Client, base string, tags []string) error {
	var list struct{ Tags []string }
	if err := getJSON(ctx, client, base+"/tags/list", "", &list); err != nil {
		return err
	}
	if len(list.Tags) == 0 {
		return fmt.Errorf("%s: no tags", base)
	}
	for _, tag := range tags {
		var manifest struct{ Config struct{ Digest string } }
		if err := getJSON(ctx, client, base+"/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json", &manifest); err != nil {
			return err
		}
		var config map[string]any
		if err := getJSON(ctx, client, base+"/blobs/"+manifest.Config.Digest, "", &config); err != nil {
			return err
		}
	}
	return nil
}

func getJSON(ctx context.Context, client *http.Client, url, accept string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(body, v)
}
