package stage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/argocd"
	"github.com/chart-promoter/chart-promoter/internal/stage"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestHealthGate(t *testing.T) {
	deployed := `"history":[{"id":1,"revision":"1.3.0","deployedAt":"2026-11-20T10:00:00Z"},{"id":2,"revision":"1.4.0","deployedAt":"2026-11-28T12:00:00Z"},{"id":3,"revision":"1.4.0","deployedAt":"2026-11-29T08:00:00Z"}]`
	tests := []struct {
		name       string
		status     string
		ready      bool
		reason     string
		deployedAt time.Time
	}{
		{
			name:       "synced and healthy at the version passes, with the deployment time",
			status:     `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Healthy"},` + deployed + `}`,
			ready:      true,
			deployedAt: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		},
		{
			name:   "degraded holds with Argo CD's message",
			status: `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Degraded","message":"Deployment webapp exceeded its progress deadline"}}`,
			reason: "Degraded: Deployment webapp exceeded its progress deadline",
		},
		{
			name:   "out of sync holds",
			status: `{"sync":{"status":"OutOfSync","revision":"1.3.0"},"health":{"status":"Healthy"}}`,
			reason: `OutOfSync at revision "1.3.0"`,
		},
		{
			name:   "synced at another revision holds",
			status: `{"sync":{"status":"Synced","revision":"1.3.0"},"health":{"status":"Healthy"}}`,
			reason: "not Synced at 1.4.0",
		},
		{
			name:   "a multi-source Application is read at the source's index",
			status: `{"sync":{"status":"Synced","revisions":["1.4.0","abc123"]},"health":{"status":"Healthy"}}`,
			ready:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := testenv.StartFakeArgoCD(t, "s3cret")
			api.SetApplication(t, "", "webapp-staging", tt.status)
			client, err := argocd.New(api.URL, "s3cret")
			if err != nil {
				t.Fatal(err)
			}
			gate := stage.HealthGate{Client: client, RequireHealthy: true, RequireSynced: true}
			h, err := gate.Check(context.Background(), "webapp-staging", "", 0, "1.4.0")
			if err != nil {
				t.Fatal(err)
			}
			if h.Ready != tt.ready || !strings.Contains(h.Reason, tt.reason) {
				t.Fatalf("got ready=%v reason=%q, want ready=%v reason containing %q", h.Ready, h.Reason, tt.ready, tt.reason)
			}
			if !h.DeployedAt.Equal(tt.deployedAt) {
				t.Errorf("deployedAt = %s, want %s", h.DeployedAt, tt.deployedAt)
			}
		})
	}
}

func TestHealthGateFailsWhenArgoCDCannotBeAsked(t *testing.T) {
	api := testenv.StartFakeArgoCD(t, "s3cret")
	api.SetApplication(t, "", "webapp-staging", `{"sync":{"status":"Synced","revision":"1.4.0"},"health":{"status":"Healthy"}}`)
	ask := func(token, app string) error {
		client, err := argocd.New(api.URL, token)
		if err != nil {
			t.Fatal(err)
		}
		_, err = stage.HealthGate{Client: client, RequireHealthy: true}.Check(context.Background(), app, "", 0, "1.4.0")
		return err
	}
	if err := ask("wrong", "webapp-staging"); err == nil || !strings.Contains(err.Error(), "token was not accepted") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("bad token: err = %v", err)
	}
	if err := ask("s3cret", "webapp-stagin"); !errors.Is(err, argocd.ErrNotFound) {
		t.Errorf("missing Application: err = %v, want ErrNotFound", err)
	}
	api.SetDown(true)
	if err := ask("s3cret", "webapp-staging"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("server down: err = %v, want an error naming HTTP 503", err)
	}
}
