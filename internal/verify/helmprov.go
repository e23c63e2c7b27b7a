package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"helm.sh/helm/v3/pkg/provenance"
	"oras.land/oras-go/v2/content"
	"sigs.k8s.io/yaml"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// The media types Helm gives a chart manifest's layers (helm.sh/helm/v3/pkg/registry),
// spelled out here so that verification does not pull in Helm's registry client.
const (
	helmChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	helmProvLayerMediaType  = "application/vnd.cncf.helm.chart.provenance.v1.prov"
)

const (
	// helmProvMaxBytes bounds a provenance file: Chart.yaml and one hash, clear-signed,
	// are a few KiB.
	helmProvMaxBytes = 1 << 20
	// helmChartMaxBytes bounds the chart archive read to check its hash. Helm itself
	// refuses to load a chart larger than this decompressed
	// (loader.MaxDecompressedChartSize), so no installable chart is refused here.
	helmChartMaxBytes = 100 << 20
	// helmKeyringMaxBytes bounds the keyring file, which is trust material from the
	// repository and never needs to be large.
	helmKeyringMaxBytes = 16 << 20
)

// helmProvenance checks the provenance file `helm package --sign` makes and `helm push`
// uploads as a layer of the chart manifest, exactly as `helm verify` does: the
// clear-signed message must be signed by a key in the keyring, and the SHA-256 it lists
// for the chart archive must be the archive's.
type helmProvenance struct {
	keyring   string
	signatory *provenance.Signatory
}

// NewHelmProvenance returns the helmProvenance provider, which trusts the OpenPGP
// public keys in the keyring file keyringPath: a binary keyring like the one
// `helm verify --keyring` takes (`gpg --export KEYID > pubring.gpg`), or the same
// keys ASCII-armored (`gpg --export --armor`). An unreadable keyring, or one that
// holds no keys, is an error now rather than a rejection of every chart later.
func NewHelmProvenance(keyringPath string) (Provider, error) {
	ring, err := readHelmKeyring(keyringPath)
	if err != nil {
		return nil, err
	}
	return &helmProvenance{keyring: keyringPath, signatory: &provenance.Signatory{KeyRing: ring}}, nil
}

func readHelmKeyring(keyringPath string) (openpgp.EntityList, error) {
	f, err := os.Open(keyringPath)
	if err != nil {
		return nil, fmt.Errorf("helmProvenance keyring: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, helmKeyringMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("helmProvenance keyring: %w", err)
	}
	if len(data) > helmKeyringMaxBytes {
		return nil, fmt.Errorf("helmProvenance keyring %s is larger than %d MiB: export only the publishers' public keys into it", keyringPath, helmKeyringMaxBytes>>20)
	}
	var ring openpgp.EntityList
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		ring, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		// GnuPG 2.1 and later keep keys in a keybox (pubring.kbx), which is not an
		// OpenPGP keyring: the likeliest cause of an unreadable file.
		return nil, fmt.Errorf("helmProvenance keyring %s is not an OpenPGP keyring (%v): export the publisher's public key with `gpg --export KEYID > pubring.gpg` and point keyring at that file", keyringPath, err)
	}
	if len(ring) == 0 {
		return nil, fmt.Errorf("helmProvenance keyring %s holds no public keys: export the publisher's public key with `gpg --export KEYID > pubring.gpg`", keyringPath)
	}
	return ring, nil
}

func (p *helmProvenance) Name() string { return "helmProvenance" }

// Verify reads the provenance layer and the chart layer of subject's manifest and runs
// Helm's own check on them. Both layers are read from subject's repository: provenance
// travels inside the chart's manifest, so a rule's signatureRepository does not apply.
func (p *helmProvenance) Verify(ctx context.Context, stores Stores, subject Subject) (Result, error) {
	chartLayer, provLayer, err := helmLayers(subject.Manifest)
	if err != nil {
		return Result{}, p.reject("%s", err)
	}
	if provLayer == nil {
		return Result{}, p.reject("%s@%s has no provenance layer (%s): sign the chart with `helm package --sign` and push it with `helm push`, which uploads the .prov file beside the archive", subject.Chart, subject.Descriptor.Digest, helmProvLayerMediaType)
	}
	archiveName, err := helmArchiveName(subject)
	if err != nil {
		return Result{}, err
	}
	if provLayer.Size > helmProvMaxBytes {
		return Result{}, p.reject("the provenance layer of %s@%s is %d bytes, more than a provenance file's %d KiB", subject.Chart, subject.Descriptor.Digest, provLayer.Size, helmProvMaxBytes>>10)
	}
	if chartLayer.Size > helmChartMaxBytes {
		return Result{}, fmt.Errorf("the chart layer of %s@%s is %d bytes, more than the %d MiB Helm loads: it cannot be verified", subject.Chart, subject.Descriptor.Digest, chartLayer.Size, helmChartMaxBytes>>20)
	}

	store, err := stores.Open(ctx, subject.Chart)
	if err != nil {
		return Result{}, err
	}
	prov, err := helmFetch(ctx, store, *provLayer)
	if err != nil {
		return Result{}, fmt.Errorf("read the provenance of %s@%s: %w", subject.Chart, subject.Descriptor.Digest, err)
	}

	// Helm's Signatory verifies files, by their base names, like `helm verify` does:
	// lay the chart out under the name `helm package` gave it, which is the name the
	// provenance file lists its hash under.
	dir, err := os.MkdirTemp("", "chart-promoter-prov-")
	if err != nil {
		return Result{}, fmt.Errorf("verify the provenance of %s@%s: %w", subject.Chart, subject.Descriptor.Digest, err)
	}
	defer os.RemoveAll(dir)
	archivePath := filepath.Join(dir, archiveName)
	if err := helmFetchToFile(ctx, store, chartLayer, archivePath); err != nil {
		return Result{}, fmt.Errorf("read the chart archive of %s@%s: %w", subject.Chart, subject.Descriptor.Digest, err)
	}
	provPath := archivePath + ".prov"
	if err := os.WriteFile(provPath, prov, 0o600); err != nil {
		return Result{}, fmt.Errorf("verify the provenance of %s@%s: %w", subject.Chart, subject.Descriptor.Digest, err)
	}

	ver, err := p.signatory.Verify(archivePath, provPath)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			return Result{}, fmt.Errorf("verify the provenance of %s@%s: %w", subject.Chart, subject.Descriptor.Digest, err)
		}
		return Result{}, p.reject("%s@%s: %s", subject.Chart, subject.Descriptor.Digest, p.explain(err, ver, prov, archiveName, chartLayer))
	}
	return Result{
		Provider: p.Name(),
		Identity: helmIdentity(ver.SignedBy),
		KeyID:    helmFingerprint(ver.SignedBy),
	}, nil
}

func (p *helmProvenance) reject(format string, args ...any) error {
	return &RejectedError{Provider: p.Name(), Reason: fmt.Sprintf(format, args...)}
}

// explain turns a failed Helm check into a reason that names what was expected and what
// was found.
func (p *helmProvenance) explain(err error, ver *provenance.Verification, prov []byte, archiveName string, chartLayer ocispec.Descriptor) string {
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return fmt.Sprintf("the provenance file is signed by key %s, which is not in keyring %s (it holds %s)", helmSigner(prov), p.keyring, helmKeyList(p.signatory.KeyRing))
	case ver != nil && ver.SignedBy != nil:
		// Helm checks the signature before the hash: a signer means the provenance file
		// is the publisher's, and it is the chart layer that is not the archive they
		// signed.
		signed := helmSignedSums(prov)
		if sum, ok := signed[archiveName]; ok {
			return fmt.Sprintf("the chart layer is not the archive the provenance file signs: it signs %s as %s, the chart layer is %s", archiveName, sum, chartLayer.Digest)
		}
		names := slices.Sorted(maps.Keys(signed))
		return fmt.Sprintf("the provenance file signs no archive named %s (it signs %s): %v", archiveName, strings.Join(names, ", "), err)
	default:
		return fmt.Sprintf("the provenance file's signature does not verify against keyring %s (signed by key %s): %v", p.keyring, helmSigner(prov), err)
	}
}

// helmLayers finds the chart archive and the provenance file among a chart manifest's
// layers. A manifest with more than one of either is refused: which one would Helm pull?
func helmLayers(m ocispec.Manifest) (chart ocispec.Descriptor, prov *ocispec.Descriptor, err error) {
	var charts int
	for i, l := range m.Layers {
		switch l.MediaType {
		case helmChartLayerMediaType:
			chart = l
			charts++
		case helmProvLayerMediaType:
			if prov != nil {
				return chart, nil, errors.New("the chart manifest has more than one provenance layer")
			}
			prov = &m.Layers[i]
		}
	}
	if charts != 1 {
		return chart, nil, fmt.Errorf("the chart manifest has %d chart layers (%s), not one", charts, helmChartLayerMediaType)
	}
	return chart, prov, nil
}

// helmArchiveName is the file name `helm package` gives the chart, NAME-VERSION.tgz,
// under which the provenance file lists its hash. Helm pushes version X+Y under tag
// X_Y, so the version is the tag in Helm's spelling.
func helmArchiveName(subject Subject) (string, error) {
	if subject.Tag == "" || strings.Contains(subject.Tag, ":") {
		return "", fmt.Errorf("helmProvenance needs the tag %s was found under, to know the archive name its provenance file lists", subject.Chart)
	}
	return path.Base(subject.Chart) + "-" + version.HelmSpelling(subject.Tag) + ".tgz", nil
}

// helmFetch reads a small blob whole, checking its size and digest.
func helmFetch(ctx context.Context, store Store, desc ocispec.Descriptor) ([]byte, error) {
	rc, err := store.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return content.ReadAll(rc, desc)
}

// helmFetchToFile streams a blob into a new file, checking its size and digest, so a large
// chart never sits in memory.
func helmFetchToFile(ctx context.Context, store Store, desc ocispec.Descriptor, name string) error {
	rc, err := store.Fetch(ctx, desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	vr := content.NewVerifyReader(rc, desc)
	if _, err := io.Copy(f, vr); err != nil {
		f.Close()
		return err
	}
	if err := vr.Verify(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// helmSignedSums reads the archive hashes a provenance file lists, in Helm's format: the
// clear-signed text is Chart.yaml, a "..." line, then the files' sums as YAML. Only for a
// rejection's reason, once Helm has checked the signature.
func helmSignedSums(prov []byte) map[string]string {
	block, _ := clearsign.Decode(prov)
	if block == nil {
		return nil
	}
	_, sums, ok := bytes.Cut(block.Plaintext, []byte("\n...\n"))
	if !ok {
		return nil
	}
	var sc provenance.SumCollection
	if err := yaml.Unmarshal(sums, &sc); err != nil {
		return nil
	}
	return sc.Files
}

// helmSigner names the key a provenance file's signature claims to be made by, for a
// rejection's reason; the signature is not checked here.
func helmSigner(prov []byte) string {
	block, _ := clearsign.Decode(prov)
	if block == nil || block.ArmoredSignature == nil {
		return "(none: no clear-signed block)"
	}
	p, err := packet.NewReader(block.ArmoredSignature.Body).Next()
	if err != nil {
		return "(unreadable)"
	}
	sig, ok := p.(*packet.Signature)
	switch {
	case !ok:
		return "(unreadable)"
	case len(sig.IssuerFingerprint) > 0:
		return strings.ToUpper(hex.EncodeToString(sig.IssuerFingerprint))
	case sig.IssuerKeyId != nil:
		return fmt.Sprintf("%016X", *sig.IssuerKeyId)
	default:
		return "(unnamed)"
	}
}

// helmKeyList lists a keyring's keys as user ID and fingerprint.
func helmKeyList(ring openpgp.EntityList) string {
	keys := make([]string, 0, len(ring))
	for _, e := range ring {
		keys = append(keys, fmt.Sprintf("%q %s", helmIdentity(e), helmFingerprint(e)))
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// helmIdentity is the key's primary user ID, "Name (comment) <email>", as gpg shows it.
func helmIdentity(e *openpgp.Entity) string {
	if e == nil {
		return ""
	}
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return ""
}

// helmFingerprint is the primary key's fingerprint in gpg's spelling.
func helmFingerprint(e *openpgp.Entity) string {
	if e == nil || e.PrimaryKey == nil {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}
