package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/argocd"
)

// HealthGate asks Argo CD whether an upstream Application really runs a version, before
// a downstream stage takes it: Git says what should run, the cluster what does.
type HealthGate struct {
	// Client reads Applications from the Argo CD API server.
	Client *argocd.Client
	// RequireHealthy holds a version until the upstream is Healthy.
	RequireHealthy bool
	// RequireSynced holds a version until the upstream is Synced at it.
	RequireSynced bool
}

// Health is what Argo CD said about an upstream.
type Health struct {
	// Ready is false when the downstream must wait; Reason says why.
	Ready  bool
	Reason string
	// DeployedAt is when the version began its current run of deployments, if Argo CD's
	// history shows it: a truer start of the soak than the commit time.
	DeployedAt time.Time
}

// Check reads the upstream Application (source index i) and decides whether revision
// (the version as the manifest spells it) is running there. An error means Argo CD could
// not be asked, which is never a pass.
func (g HealthGate) Check(ctx context.Context, name, namespace string, source int, revision string) (Health, error) {
	app, err := g.Client.Application(ctx, name, namespace)
	if err != nil {
		return Health{}, err
	}
	st := app.Status
	h := Health{Ready: true}
	if since, ok := st.DeployedSince(source, revision); ok {
		h.DeployedAt = since
	}
	if g.RequireSynced {
		if got := st.Revision(source); st.Sync.Status != "Synced" || got != revision {
			h.Ready = false
			h.Reason = fmt.Sprintf("Argo CD reports %s %s at revision %q, not Synced at %s", name, orUnknown(st.Sync.Status), got, revision)
			return h, nil
		}
	}
	if g.RequireHealthy && st.Health.Status != "Healthy" {
		h.Ready = false
		h.Reason = fmt.Sprintf("Argo CD reports %s %s", name, orUnknown(st.Health.Status))
		if st.Health.Message != "" {
			h.Reason += ": " + st.Health.Message
		}
	}
	return h, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}
