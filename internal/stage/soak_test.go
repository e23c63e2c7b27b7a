package stage

import (
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func ver(t *testing.T, s string) version.Version {
	t.Helper()
	v, err := version.ParseRevision(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runs builds runs, newest first, from (version, start) pairs given newest first.
func runs(t *testing.T, pairs ...any) []Run {
	t.Helper()
	var out []Run
	var end time.Time
	for i := 0; i < len(pairs); i += 2 {
		r := Run{Version: ver(t, pairs[i].(string)), Start: now.Add(-pairs[i+1].(time.Duration)), End: end}
		end = r.Start
		out = append(out, r)
	}
	return out
}

func TestDecide(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name      string
		upstreams [][]Run
		soak      time.Duration
		at        time.Time
		want      string // "" for no version
		pending   []string
		until     time.Time
	}{
		{
			name:      "a version that soaked three days is taken, the one two hours old waits",
			upstreams: [][]Run{runs(t, "1.4.2", 2*time.Hour, "1.4.0", 3*day, "1.3.0", 10*day)},
			soak:      day, at: now, want: "1.4.0", pending: []string{"1.4.2"}, until: now.Add(-2 * time.Hour).Add(day),
		},
		{
			name:      "once the clock has passed the soak time the newest is taken",
			upstreams: [][]Run{runs(t, "1.4.2", 2*time.Hour, "1.4.0", 3*day)},
			soak:      day, at: now.Add(23 * time.Hour), want: "1.4.2",
		},
		{
			name:      "A then B then A restarts A's clock",
			upstreams: [][]Run{runs(t, "1.4.0", time.Hour, "1.4.2", 2*day, "1.4.0", 3*day, "1.3.0", 5*day)},
			soak:      day, at: now, want: "1.3.0", pending: []string{"1.4.0"}, until: now.Add(-time.Hour).Add(day),
		},
		{
			name:      "a version newer than what the upstream runs now is never taken",
			upstreams: [][]Run{runs(t, "1.4.0", 2*day, "1.5.0", 4*day, "1.3.0", 9*day)},
			soak:      day, at: now, want: "1.4.0",
		},
		{
			name: "two upstreams: the newest version both have soaked",
			upstreams: [][]Run{
				runs(t, "1.4.2", 3*day, "1.4.0", 5*day),
				runs(t, "1.4.2", 3*time.Hour, "1.4.0", 4*day),
			},
			soak: day, at: now, want: "1.4.0", pending: []string{"1.4.2"}, until: now.Add(-3 * time.Hour).Add(day),
		},
		{
			name: "two upstreams with no soaked version in common: nothing",
			upstreams: [][]Run{
				runs(t, "1.4.2", 3*day),
				runs(t, "1.4.0", 3*day),
			},
			soak: day, at: now, want: "",
		},
		{
			name:      "nothing has soaked yet",
			upstreams: [][]Run{runs(t, "1.0.0", time.Hour)},
			soak:      day, at: now, want: "", pending: []string{"1.0.0"}, until: now.Add(-time.Hour).Add(day),
		},
		{
			name:      "no soak time: what the upstream runs now",
			upstreams: [][]Run{runs(t, "2.0.0", time.Minute, "1.0.0", day)},
			soak:      0, at: now, want: "2.0.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ups []Upstream
			for _, r := range tt.upstreams {
				ups = append(ups, Upstream{Runs: r})
			}
			d := Decide(ups, tt.soak, tt.at)
			got := ""
			if d.Version != nil {
				got = d.Version.String()
			}
			if got != tt.want {
				t.Fatalf("version = %q, want %q", got, tt.want)
			}
			if d.Version != nil && len(d.Since) != len(ups) {
				t.Errorf("since has %d entries for %d upstreams", len(d.Since), len(ups))
			}
			var pending []string
			for _, p := range d.Pending {
				pending = append(pending, p.Version.String())
				if !p.Until.Equal(tt.until) {
					t.Errorf("pending %s until %s, want %s", p.Version, p.Until, tt.until)
				}
			}
			if len(pending) != len(tt.pending) || (len(pending) > 0 && pending[0] != tt.pending[0]) {
				t.Errorf("pending = %v, want %v", pending, tt.pending)
			}
		})
	}
}

func TestDecideSinceIsTheStartOfTheChosenRun(t *testing.T) {
	day := 24 * time.Hour
	d := Decide([]Upstream{{Runs: runs(t, "1.4.2", 2*time.Hour, "1.4.0", 3*day)}}, day, now)
	if d.Version == nil || !d.Since[0].Equal(now.Add(-3*day)) {
		t.Fatalf("since = %v, want %v", d.Since, now.Add(-3*day))
	}
}
