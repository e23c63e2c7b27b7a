package registry

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"

	"oras.land/oras-go/v2/registry/remote/auth"
)

// minSecretLength is the shortest credential that is redacted: shorter ones would blank out
// ordinary words of every message, and are no secret anyway.
const minSecretLength = 4

// secrets remembers every credential the client handed out or sent (passwords, identity
// tokens, basic-auth strings, bearer tokens) so that no error it returns repeats one. A
// registry, or a proxy in front of it, may echo request headers into an error message, and
// error messages end up in CI logs.
type secrets struct {
	mu     sync.RWMutex
	values map[string]struct{}
}

func (s *secrets) add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) < minSecretLength {
			continue
		}
		if s.values == nil {
			s.values = map[string]struct{}{}
		}
		s.values[v] = struct{}{}
	}
}

// addCredential records what a credential lets anyone who reads it do.
func (s *secrets) addCredential(c auth.Credential) {
	s.add(c.Password, c.RefreshToken, c.AccessToken)
	if c.Password != "" {
		s.add(base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password)))
	}
}

// addHeader records the credential of an Authorization header ("Basic …", "Bearer …").
func (s *secrets) addHeader(h string) {
	scheme, value, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		s.add(h)
		return
	}
	value = strings.TrimSpace(value)
	s.add(value)
	if strings.EqualFold(scheme, "basic") {
		if decoded, err := base64.StdEncoding.DecodeString(value); err == nil {
			_, password, _ := strings.Cut(string(decoded), ":")
			s.add(string(decoded), password)
		}
	}
}

// redact returns err with every recorded credential in its message replaced by "***";
// errors.Is and errors.As still see the original.
func (s *secrets) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	s.mu.RLock()
	defer s.mu.RUnlock()
	redacted := msg
	for v := range s.values {
		redacted = strings.ReplaceAll(redacted, v, "***")
	}
	if redacted == msg {
		return err
	}
	return &redactedError{msg: redacted, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// credential wraps f to record every credential it returns.
func (s *secrets) credential(f auth.CredentialFunc) auth.CredentialFunc {
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		c, err := f(ctx, hostport)
		s.addCredential(c)
		return c, err
	}
}

// recordingTransport records the Authorization header of every request it sends: the
// bearer tokens a token server issued, which no credential function sees.
type recordingTransport struct {
	secrets *secrets
	next    http.RoundTripper
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if h := req.Header.Get("Authorization"); h != "" {
		t.secrets.addHeader(h)
	}
	return t.next.RoundTrip(req)
}
