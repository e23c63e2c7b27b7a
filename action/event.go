package action

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// Trigger is what started the run, reduced to what a promotion needs.
type Trigger struct {
	// Event is GITHUB_EVENT_NAME.
	Event string
	// Chart is the normalised chart repository the event is about; "" scans every chart.
	Chart string
	// Version is what the event says was published: the registry tag as pushed for
	// registry_package ("2.1.0_b.6"), the sender's text for a dispatch (maybe "2.1.0+b.6");
	// "" when the event names none.
	Version string
	// Source describes the trigger for people, in the step summary.
	Source string
	// Ignore, when set, says why the event asks for no promotion at all (an npm package
	// was published); the run should end successfully with it as a notice.
	Ignore string
}

// ReadTrigger reads the event that started the workflow from its name and payload file
// (GITHUB_EVENT_NAME and GITHUB_EVENT_PATH).
func ReadTrigger(eventName, eventPath string) (Trigger, error) {
	t := Trigger{Event: eventName}
	var err error
	switch eventName {
	case "registry_package":
		err = withPayload(eventPath, func(p payload) error { return t.registryPackage(p) })
	case "repository_dispatch":
		err = withPayload(eventPath, func(p payload) error { return t.repositoryDispatch(p) })
	case "workflow_dispatch":
		err = withPayload(eventPath, func(p payload) error { return t.workflowDispatch(p) })
	case "schedule":
		t.Source = "schedule"
		if p, perr := readPayload(eventPath); perr == nil && p.Schedule != "" {
			t.Source = fmt.Sprintf("schedule (cron %q)", p.Schedule)
		}
	case "push":
		t.Source = "push"
		if p, perr := readPayload(eventPath); perr == nil && p.Ref != "" {
			t.Source = "push to " + p.Ref
			if p.After != "" {
				t.Source += " (" + short(p.After) + ")"
			}
		}
	case "":
		return t, errors.New("GITHUB_EVENT_NAME is empty: run chart-promoter's action inside a GitHub Actions workflow")
	default:
		// Any other event (pull_request for a dry-run preview, workflow_run after a chart's
		// release workflow, release) names no chart of its own: scan everything.
		t.Source = eventName + " event"
	}
	return t, err
}

// payload holds the parts of the event payloads ReadTrigger reads. Dispatch payloads are
// raw so that a number where a string belongs can be reported rather than reformatted.
type payload struct {
	Action          string                     `json:"action"`
	RegistryPackage *registryPackage           `json:"registry_package"`
	Package         *registryPackage           `json:"package"`
	ClientPayload   map[string]json.RawMessage `json:"client_payload"`
	Inputs          map[string]json.RawMessage `json:"inputs"`
	Schedule        string                     `json:"schedule"`
	Ref             string                     `json:"ref"`
	After           string                     `json:"after"`
	Sender          struct {
		Login string `json:"login"`
	} `json:"sender"`
	raw map[string]json.RawMessage
}

// registryPackage is the package a registry_package event is about. GHCR reports a Helm
// chart as a container package ("CONTAINER"), its name with any slashes of the
// repository path ("charts/webapp"), version as the manifest digest and the tag apart.
type registryPackage struct {
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	PackageType string `json:"package_type"`
	Owner       struct {
		Login string `json:"login"`
	} `json:"owner"`
	PackageVersion *struct {
		Version           string `json:"version"`
		PackageURL        string `json:"package_url"`
		ContainerMetadata *struct {
			Tag struct {
				Name   string `json:"name"`
				Digest string `json:"digest"`
			} `json:"tag"`
		} `json:"container_metadata"`
	} `json:"package_version"`
}

func readPayload(eventPath string) (payload, error) {
	var p payload
	if eventPath == "" {
		return p, errors.New("GITHUB_EVENT_PATH is empty: the event payload is needed to know which chart was published")
	}
	data, err := os.ReadFile(eventPath)
	if err != nil {
		return p, fmt.Errorf("read the event payload: %w", err)
	}
	if err := json.Unmarshal(data, &p.raw); err != nil {
		return p, fmt.Errorf("event payload %s is not a JSON object: %v", eventPath, err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("event payload %s: %v", eventPath, err)
	}
	return p, nil
}

func withPayload(eventPath string, read func(payload) error) error {
	p, err := readPayload(eventPath)
	if err != nil {
		return err
	}
	return read(p)
}

func (t *Trigger) registryPackage(p payload) error {
	pkg := p.RegistryPackage
	if pkg == nil {
		pkg = p.Package
	}
	if pkg == nil {
		return errors.New("registry_package event payload has no registry_package object")
	}
	if !strings.EqualFold(pkg.PackageType, "container") {
		if pkg.PackageType == "" {
			return errors.New("registry_package.package_type is missing from the event payload")
		}
		t.Ignore = fmt.Sprintf("registry_package event for %s package %q: only container packages (Helm charts in GHCR) are promoted", pkg.PackageType, pkg.Name)
		return nil
	}
	pv := pkg.PackageVersion
	if pv == nil {
		return errors.New("registry_package.package_version is missing from the event payload")
	}

	chart, urlTag, err := chartOfPackage(pkg.Name, pkg.Namespace, pkg.Owner.Login, pv.PackageURL)
	if err != nil {
		return err
	}
	t.Chart = chart
	// The tag is the version; package_version.version is the manifest digest for
	// container packages, and an untagged push (a digest alone) names no version.
	var digest string
	if cm := pv.ContainerMetadata; cm != nil {
		t.Version, digest = cm.Tag.Name, cm.Tag.Digest
	}
	if t.Version == "" {
		t.Version = urlTag
	}
	if t.Version == "" && !strings.HasPrefix(pv.Version, "sha256:") {
		t.Version = pv.Version
	}
	if digest == "" && strings.HasPrefix(pv.Version, "sha256:") {
		digest = pv.Version
	}

	verb := cmp.Or(p.Action, "published")
	switch {
	case t.Version != "":
		t.Source = fmt.Sprintf("%s:%s %s", chart, t.Version, verb)
	case digest != "":
		t.Source = fmt.Sprintf("%s %s without a tag (%s)", chart, verb, short(digest))
	default:
		t.Source = fmt.Sprintf("%s %s", chart, verb)
	}
	if p.Sender.Login != "" {
		t.Source += " by " + p.Sender.Login
	}
	return nil
}

// chartOfPackage finds the chart repository of a GHCR package: from package_url
// ("ghcr.io/OWNER/NAME:TAG") when present, since it also carries the host on GitHub
// Enterprise Server, else ghcr.io/<namespace>/<name>. GHCR repository paths are lower case
// while logins keep their case, so the result is lower-cased.
func chartOfPackage(name, namespace, owner, packageURL string) (chart, tag string, err error) {
	if packageURL != "" {
		ref := packageURL
		if unescaped, uerr := url.PathUnescape(ref); uerr == nil {
			ref = unescaped
		}
		if i := strings.LastIndex(ref, "@"); i >= 0 {
			ref = ref[:i]
		}
		if i := strings.LastIndex(ref, ":"); i >= 0 && !strings.Contains(ref[i:], "/") {
			ref, tag = ref[:i], ref[i+1:]
		}
		chart, err := manifest.NormalizeChart(strings.ToLower(ref))
		if err != nil {
			return "", "", fmt.Errorf("registry_package.package_version.package_url: %w", err)
		}
		return chart, tag, nil
	}
	if name == "" {
		return "", "", errors.New("registry_package.name is missing from the event payload")
	}
	// Old payloads carry "owner/repository" in namespace; the package lives under the owner.
	ns, _, _ := strings.Cut(cmp.Or(owner, namespace), "/")
	if ns == "" {
		return "", "", errors.New("registry_package.namespace is missing from the event payload")
	}
	chart, err = manifest.NormalizeChart(strings.ToLower("ghcr.io/" + ns + "/" + name))
	if err != nil {
		return "", "", fmt.Errorf("registry_package.name: %w", err)
	}
	return chart, "", nil
}

func (t *Trigger) repositoryDispatch(p payload) error {
	if _, ok := p.raw["client_payload"]; !ok {
		return errors.New("repository_dispatch event payload has no client_payload: send {\"chart\": \"oci://HOST/PATH/NAME\", \"version\": \"X.Y.Z\"}")
	}
	if err := t.chartAndVersion("client_payload", p.ClientPayload); err != nil {
		return err
	}
	kind := "repository_dispatch"
	if p.Action != "" {
		kind = fmt.Sprintf("repository_dispatch %q", p.Action)
	}
	t.Source = t.describe(kind, p.Sender.Login)
	return nil
}

func (t *Trigger) workflowDispatch(p payload) error {
	if err := t.chartAndVersion("inputs", p.Inputs); err != nil {
		return err
	}
	t.Source = t.describe("workflow_dispatch", p.Sender.Login)
	return nil
}

// chartAndVersion reads the optional chart and version fields of a dispatch.
func (t *Trigger) chartAndVersion(where string, fields map[string]json.RawMessage) error {
	chart, err := stringField(where, "chart", fields)
	if err != nil {
		return err
	}
	version, err := stringField(where, "version", fields)
	if err != nil {
		return err
	}
	if chart == "" {
		if version != "" {
			return fmt.Errorf("%s.version %q needs %s.chart: name the chart the version belongs to", where, version, where)
		}
		return nil
	}
	t.Chart, err = manifest.NormalizeChart(chart)
	if err != nil {
		return fmt.Errorf("%s.chart: %w", where, err)
	}
	t.Version = version
	return nil
}

// stringField reads one optional string field; a number or anything else is an error,
// since 1.10 sent as a number arrives as 1.1.
func stringField(where, name string, fields map[string]json.RawMessage) (string, error) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s.%s must be a string, not %s: quote it", where, name, raw)
	}
	return strings.TrimSpace(s), nil
}

func (t *Trigger) describe(kind, sender string) string {
	s := kind
	switch {
	case t.Chart != "" && t.Version != "":
		s += fmt.Sprintf(" for %s:%s", t.Chart, t.Version)
	case t.Chart != "":
		s += " for " + t.Chart
	}
	if sender != "" {
		s += " by " + sender
	}
	return s
}

// short abbreviates a commit SHA or a digest for people.
func short(id string) string {
	hex := strings.TrimPrefix(id, "sha256:")
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if strings.HasPrefix(id, "sha256:") {
		return "sha256:" + hex
	}
	if len(hex) > 7 {
		return hex[:7]
	}
	return hex
}
