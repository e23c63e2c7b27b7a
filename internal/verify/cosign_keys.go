package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sigstore/sigstore/pkg/signature"
)

// PublicKey is a PEM-encoded public key a cosign rule trusts, as `cosign generate-key-pair`
// writes it (cosign.pub): ECDSA P-256, P-384 or P-521, RSA of 2048 bits or more, or Ed25519.
type PublicKey struct {
	// Name is what reports call the key by: its file, as the config names it.
	Name string
	// PEM holds one or more PUBLIC KEY (or RSA PUBLIC KEY) blocks; each is trusted.
	PEM []byte
}

// trustedKey is a parsed PublicKey: how reports name it and how signatures are checked.
type trustedKey struct {
	name string
	// fingerprint is "sha256:" and the hex SHA-256 of the key's DER (PKIX) encoding, the
	// key ID Sigstore's own tools compute.
	fingerprint string
	verifier    signature.Verifier
}

// String names the key in reasons: its file and fingerprint.
func (k trustedKey) String() string { return k.name + " (" + k.fingerprint + ")" }

// readPublicKeyFiles reads PEM public key files.
func readPublicKeyFiles(paths []string) ([]PublicKey, error) {
	keys := make([]PublicKey, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("cosign public key: %w", err)
		}
		keys = append(keys, PublicKey{Name: p, PEM: data})
	}
	return keys, nil
}

// parsePublicKeys parses every key, naming the file and block of the first that is not a
// usable public key.
func parsePublicKeys(keys []PublicKey) ([]trustedKey, error) {
	var out []trustedKey
	for _, k := range keys {
		rest := k.PEM
		n := 0
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			n++
			name := k.Name
			if n > 1 {
				name = fmt.Sprintf("%s (key %d)", k.Name, n)
			}
			tk, err := parsePublicKeyBlock(name, block)
			if err != nil {
				return nil, fmt.Errorf("cosign public key %s: %w", name, err)
			}
			out = append(out, tk)
		}
		if n == 0 {
			return nil, fmt.Errorf("cosign public key %s: no PEM block found: give the public key file cosign wrote (cosign.pub, starting with -----BEGIN PUBLIC KEY-----)", k.Name)
		}
	}
	return out, nil
}

func parsePublicKeyBlock(name string, block *pem.Block) (trustedKey, error) {
	var pub crypto.PublicKey
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
		return trustedKey{}, fmt.Errorf("this is a private key (%s); give the public key (cosign.pub), and keep the private one out of the repository", block.Type)
	default:
		return trustedKey{}, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return trustedKey{}, err
	}
	verifier, err := keyVerifier(pub)
	if err != nil {
		return trustedKey{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return trustedKey{}, err
	}
	sum := sha256.Sum256(der)
	return trustedKey{name: name, fingerprint: "sha256:" + hex.EncodeToString(sum[:]), verifier: verifier}, nil
}

// keyVerifier checks signatures the way cosign makes them with a key of this type.
// cosign hashes with SHA-256 whatever the curve (its --signing-algorithm flag aside), while
// newer signers hash P-384 and P-521 signatures with SHA-384 and SHA-512, so those curves
// accept both; sigstore-go makes the same allowance for certificates.
func keyVerifier(pub crypto.PublicKey) (signature.Verifier, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		var hashes []crypto.Hash
		switch k.Curve {
		case elliptic.P256():
			hashes = []crypto.Hash{crypto.SHA256}
		case elliptic.P384():
			hashes = []crypto.Hash{crypto.SHA384, crypto.SHA256}
		case elliptic.P521():
			hashes = []crypto.Hash{crypto.SHA512, crypto.SHA256}
		default:
			return nil, fmt.Errorf("ECDSA curve %s is not one Sigstore signs with (P-256, P-384, P-521)", k.Curve.Params().Name)
		}
		var vs anyVerifier
		for _, h := range hashes {
			v, err := signature.LoadECDSAVerifier(k, h)
			if err != nil {
				return nil, err
			}
			vs = append(vs, v)
		}
		return vs, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too weak to trust (2048 or more)", k.N.BitLen())
		}
		return signature.LoadRSAPKCS1v15Verifier(k, crypto.SHA256)
	case ed25519.PublicKey:
		return signature.LoadED25519Verifier(k)
	default:
		return nil, fmt.Errorf("unsupported key type %T (ECDSA, RSA or Ed25519)", pub)
	}
}

// anyVerifier accepts a signature any one of its verifiers accepts: the same key checked
// with each hash a signer may have used.
type anyVerifier []signature.Verifier

func (vs anyVerifier) PublicKey(opts ...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return vs[0].PublicKey(opts...)
}

func (vs anyVerifier) VerifySignature(sig, message io.Reader, opts ...signature.VerifyOption) error {
	sigBytes, err := io.ReadAll(sig)
	if err != nil {
		return err
	}
	msgBytes, err := io.ReadAll(message)
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range vs {
		err := v.VerifySignature(bytes.NewReader(sigBytes), bytes.NewReader(msgBytes), opts...)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
