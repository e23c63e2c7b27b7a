package testenv

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
)

// Names that tie the registry's token access controller to the token server:
// Distribution rejects tokens whose "iss" or "aud" claim differs.
const (
	tokenIssuer  = "testenv-token-server"
	tokenService = "testenv-registry"
	tokenPath    = "/token"
	tokenTTL     = 5 * time.Minute
)

// tokenServer implements the token endpoint of the Docker registry token
// auth flow (https://distribution.github.io/distribution/spec/auth/token/):
// the registry answers 401 with a Bearer challenge naming this endpoint, the
// client trades its basic credentials here for a JWT listing the granted
// scopes, and retries with that JWT. It grants every requested scope to the
// one known user, like a registry where that user owns everything.
type tokenServer struct {
	user, password string
	key            *ecdsa.PrivateKey
	keyID          string
}

// newTokenServer signs with key; the registry trusts the certificate of key
// through its rootcertbundle and finds it by the "kid" header, which
// Distribution matches against the JWK thumbprint of each bundled cert.
func newTokenServer(user, password string, key *ecdsa.PrivateKey) *tokenServer {
	return &tokenServer{
		user:     user,
		password: password,
		key:      key,
		keyID:    token.GetJWKThumbprint(&key.PublicKey),
	}
}

// ServeHTTP answers both token request styles that clients use: GET with
// basic auth (Docker, oras-go by default) and POST with an OAuth2 password
// grant (oras-go with ForceAttemptOAuth2, containerd).
func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var user, password string
	var scopes []string
	switch r.Method {
	case http.MethodGet:
		user, password, _ = r.BasicAuth()
		for _, sc := range r.URL.Query()["scope"] {
			scopes = append(scopes, strings.Fields(sc)...)
		}
	case http.MethodPost:
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "password" {
			writeTokenError(w, http.StatusBadRequest, "UNSUPPORTED", "only grant_type=password is supported")
			return
		}
		user, password = r.PostForm.Get("username"), r.PostForm.Get("password")
		scopes = strings.Fields(r.PostForm.Get("scope"))
	default:
		writeTokenError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET or POST")
		return
	}
	// Anonymous token requests are refused as well: this models a private
	// registry (GHCR, ECR), not Docker Hub's anonymous pulls.
	if user != s.user || password != s.password {
		writeTokenError(w, http.StatusUnauthorized, "UNAUTHORIZED", "incorrect username or password")
		return
	}

	now := time.Now()
	jwt, err := s.sign(token.ClaimSet{
		Issuer:     tokenIssuer,
		Subject:    user,
		Audience:   token.AudienceList{tokenService},
		Expiration: now.Add(tokenTTL).Unix(),
		NotBefore:  now.Unix(),
		IssuedAt:   now.Unix(),
		JWTID:      rand.Text(),
		Access:     parseScopes(scopes),
	})
	if err != nil {
		writeTokenError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token":        jwt,
		"access_token": jwt,
		"expires_in":   int(tokenTTL.Seconds()),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}

// parseScopes turns "repository:team/app:pull,push" into a claim; the name
// is everything between the first and the last colon.
func parseScopes(scopes []string) []*token.ResourceActions {
	access := []*token.ResourceActions{}
	for _, sc := range scopes {
		typ, rest, ok1 := strings.Cut(sc, ":")
		i := strings.LastIndex(rest, ":")
		if !ok1 || i < 0 {
			continue // malformed scopes are ignored, as real token servers do
		}
		access = append(access, &token.ResourceActions{
			Type:    typ,
			Name:    rest[:i],
			Actions: strings.Split(rest[i+1:], ","),
		})
	}
	return access
}

// sign produces a compact ES256 JWS. It is written out by hand because the
// format is three base64 segments and a fixed-width r||s signature, which is
// shorter than adopting a JOSE library for one call.
func (s *tokenServer) sign(claims token.ClaimSet) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": s.keyID})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // JWS wants r and s as two 32-byte big-endian halves
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig), nil
}

// writeTokenError answers in the registry error format, which is what
// clients such as oras-go parse out of a failed token response.
func writeTokenError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": code, "message": message}},
	})
}
