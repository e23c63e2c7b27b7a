package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/distribution/distribution/v3"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Distribution 3.1 does not serve the OCI 1.1 referrers API: GET /v2/<name>/referrers/<digest>
// is a plain 404, and clients fall back to the referrers tag scheme (an index tagged
// sha256-<hex> that the pushing client keeps up to date). Registries that do serve it
// (GHCR, ECR, ACR, Harbor, Zot) answer from the subject fields of the manifests they hold.
// referrersAPI is a thin handler in front of the real registry that does the same, so tests
// can take both paths against one storage.
type referrersAPI struct {
	on        atomic.Bool
	namespace distribution.Namespace
	next      http.Handler
}

// maxManifestBody bounds the manifest body the handler reads to find its subject; it matches
// the 4 MiB the distribution spec asks registries to accept.
const maxManifestBody = 4 << 20

// WithReferrersAPI starts the registry with the OCI 1.1 referrers API served (see
// SetReferrersAPI); without it the registry answers like Distribution 3.1, which has none.
func WithReferrersAPI() RegistryOption {
	return func(c *registryConfig) { c.referrersAPI = true }
}

// SetReferrersAPI switches the referrers API on or off while the registry runs. On, the
// registry answers GET /v2/<name>/referrers/<digest> as the distribution spec v1.1 defines
// it, from the subject fields of every manifest in the repository, and acknowledges pushed
// manifests that carry a subject with the OCI-Subject header, so clients do not maintain the
// referrers tag. Off, both requests reach Distribution untouched: the referrers API is a 404
// and clients fall back to the referrers tag scheme.
func (r *Registry) SetReferrersAPI(on bool) {
	r.referrers.on.Store(on)
}

func (h *referrersAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !h.on.Load() {
		h.next.ServeHTTP(w, req)
		return
	}
	name, endpoint, last, ok := splitV2Path(req.URL.Path)
	switch {
	case ok && endpoint == "referrers" && (req.Method == http.MethodGet || req.Method == http.MethodHead):
		h.serveReferrers(w, req, name, last)
	case ok && endpoint == "manifests" && req.Method == http.MethodPut:
		h.putManifest(w, req)
	default:
		h.next.ServeHTTP(w, req)
	}
}

// splitV2Path splits /v2/<name>/<endpoint>/<last>; a repository name may hold slashes, the
// last segment (a digest or tag) never does.
func splitV2Path(path string) (name, endpoint, last string, ok bool) {
	rest, found := strings.CutPrefix(path, "/v2/")
	if !found {
		return "", "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", "", false
	}
	head, last := rest[:i], rest[i+1:]
	j := strings.LastIndexByte(head, '/')
	if j < 0 {
		return "", "", "", false
	}
	return head[:j], head[j+1:], last, true
}

func (h *referrersAPI) serveReferrers(w http.ResponseWriter, req *http.Request, name, rawDigest string) {
	subject, err := digest.Parse(rawDigest)
	if err != nil {
		writeRegistryError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+rawDigest)
		return
	}
	// Authorization is Distribution's to decide, exactly as for any read of the
	// repository: ask it with a manifest request for the subject carrying the same
	// credentials, and hand a refusal on as it is (a 401 then challenges for pull scope on
	// this repository, which is what a referrers request needs). Whether the subject is
	// there does not matter: referrers may be pushed before what they refer to, or into
	// another repository.
	probe := req.Clone(req.Context())
	probe.Method = http.MethodGet
	probe.URL.Path = "/v2/" + name + "/manifests/" + subject.String()
	probe.URL.RawQuery = ""
	probe.RequestURI = ""
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, probe)
	if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}

	referrers, err := h.referrers(req.Context(), name, subject)
	if errors.Is(err, errUnknownRepository) {
		writeRegistryError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	if err != nil {
		writeRegistryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	if artifactType := req.URL.Query().Get("artifactType"); artifactType != "" {
		kept := referrers[:0]
		for _, d := range referrers {
			if d.ArtifactType == artifactType {
				kept = append(kept, d)
			}
		}
		referrers = kept
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	body, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: referrers, // never null: "an empty manifest list MUST be returned"
	})
	if err != nil {
		writeRegistryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// referrers lists the manifests of repository name whose subject is subject, each described
// as the spec requires: artifactType from the manifest (an image manifest without one takes
// its config's media type; an index without one has none), annotations copied.
func (h *referrersAPI) referrers(ctx context.Context, name string, subject digest.Digest) ([]ocispec.Descriptor, error) {
	named, err := reference.WithName(name)
	if err != nil {
		return nil, err
	}
	repo, err := h.namespace.Repository(ctx, named)
	if err != nil {
		return nil, err
	}
	manifests, err := repo.Manifests(ctx)
	if err != nil {
		return nil, err
	}
	enumerator, ok := manifests.(distribution.ManifestEnumerator)
	if !ok {
		return nil, errors.New("testenv: Distribution's manifest service no longer enumerates manifests")
	}
	out := []ocispec.Descriptor{}
	err = enumerator.Enumerate(ctx, func(dgst digest.Digest) error {
		m, err := manifests.Get(ctx, dgst)
		if err != nil {
			return err
		}
		mediaType, payload, err := m.Payload()
		if err != nil {
			return err
		}
		if mediaType != ocispec.MediaTypeImageManifest && mediaType != ocispec.MediaTypeImageIndex {
			return nil
		}
		var parsed struct {
			ArtifactType string              `json:"artifactType"`
			Config       *ocispec.Descriptor `json:"config"`
			Subject      *ocispec.Descriptor `json:"subject"`
			Annotations  map[string]string   `json:"annotations"`
		}
		if err := json.Unmarshal(payload, &parsed); err != nil {
			return err
		}
		if parsed.Subject == nil || parsed.Subject.Digest != subject {
			return nil
		}
		artifactType := parsed.ArtifactType
		if artifactType == "" && mediaType == ocispec.MediaTypeImageManifest && parsed.Config != nil {
			artifactType = parsed.Config.MediaType
		}
		out = append(out, ocispec.Descriptor{
			MediaType:    mediaType,
			Digest:       dgst,
			Size:         int64(len(payload)),
			ArtifactType: artifactType,
			Annotations:  parsed.Annotations,
		})
		return nil
	})
	if err != nil {
		// A repository no manifest was ever pushed to has no revisions directory.
		var notFound storagedriver.PathNotFoundError
		if errors.As(err, &notFound) {
			return nil, errUnknownRepository
		}
		return nil, err
	}
	return out, nil
}

// errUnknownRepository is a repository that holds no manifest.
var errUnknownRepository = errors.New("unknown repository")

// putManifest passes a manifest push on to Distribution, and when the manifest has a
// subject and Distribution stored it, answers with OCI-Subject: a registry that serves the
// referrers API "MUST respond with the response header OCI-Subject", and clients that see
// it leave the referrers tag alone.
func (h *referrersAPI) putManifest(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxManifestBody+1))
	if err != nil {
		writeRegistryError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	var parsed struct {
		Subject *ocispec.Descriptor `json:"subject"`
	}
	if json.Unmarshal(body, &parsed) != nil || parsed.Subject == nil {
		h.next.ServeHTTP(w, req)
		return
	}
	h.next.ServeHTTP(&subjectHeaderWriter{ResponseWriter: w, subject: parsed.Subject.Digest.String()}, req)
}

// subjectHeaderWriter adds OCI-Subject to a successful manifest push.
type subjectHeaderWriter struct {
	http.ResponseWriter
	subject string
}

func (w *subjectHeaderWriter) WriteHeader(code int) {
	if code == http.StatusCreated {
		w.Header().Set("OCI-Subject", w.subject)
	}
	w.ResponseWriter.WriteHeader(code)
}

// writeRegistryError answers in the distribution spec's error format.
func writeRegistryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": code, "message": message}},
	})
}
