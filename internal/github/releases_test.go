package github

import (
	"context"
	"testing"
)

func TestReleaseURLFindsReleasesByTag(t *testing.T) {
	f := startFake(t)
	f.AddRepo("acme", "webapp", "main")
	f.AddRelease("acme", "webapp", "v1.3.0")
	for _, layout := range []struct{ name, api, web string }{
		{"github.com", f.URL, "https://github.com"},
		{"GitHub Enterprise Server", f.EnterpriseURL, ""},
	} {
		t.Run(layout.name, func(t *testing.T) {
			c, _ := newClient(t, layout.api)
			url, found, err := c.ReleaseURL(context.Background(), "acme", "webapp", "v1.3.0")
			if err != nil || !found {
				t.Fatalf("ReleaseURL(v1.3.0) = %q, %v, %v; want the release", url, found, err)
			}
			if layout.web != "" && url != layout.web+"/acme/webapp/releases/tag/v1.3.0" {
				t.Errorf("ReleaseURL = %q, want the release page on %s", url, layout.web)
			}
			for _, missing := range [][2]string{{"webapp", "1.3.0"}, {"other", "v1.3.0"}} {
				url, found, err := c.ReleaseURL(context.Background(), "acme", missing[0], missing[1])
				if err != nil || found {
					t.Errorf("ReleaseURL(acme/%s, %s) = %q, %v, %v; want not found, and no error", missing[0], missing[1], url, found, err)
				}
			}
		})
	}
}
