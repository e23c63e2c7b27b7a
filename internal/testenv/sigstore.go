package testenv

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/proto"
)

// Sigstore is an in-memory Sigstore instance, sigstore-go's testing CA: a Fulcio
// certificate authority, a Rekor log and a timestamp authority, each with keys made in the
// test. It signs keylessly as cosign does against the public good, and writes the trusted
// root that verifies what it signed.
type Sigstore struct {
	ca *ca.VirtualSigstore
}

// NewSigstore starts an in-memory Sigstore. Its keys are valid for an hour around now.
func NewSigstore(tb testing.TB) *Sigstore {
	tb.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		tb.Fatalf("testenv: virtual Sigstore: %v", err)
	}
	return &Sigstore{ca: vs}
}

// WriteTrustedRoot writes the instance's trusted root (trusted_root.json: the Fulcio CA,
// the Rekor log key, the timestamp authority) to dir/name and returns the path. It lists
// no certificate transparency log: the testing CA issues certificates without SCTs, like
// a private Sigstore without CT. WriteTrustedRootWithCTLog lists one.
func (s *Sigstore) WriteTrustedRoot(tb testing.TB, dir, name string) string {
	tb.Helper()
	return s.writeTrustedRoot(tb, dir, name, false)
}

// WriteTrustedRootWithCTLog is WriteTrustedRoot with a certificate transparency log listed,
// as the public good's trusted root has: certificates without SCTs then do not verify.
func (s *Sigstore) WriteTrustedRootWithCTLog(tb testing.TB, dir, name string) string {
	tb.Helper()
	return s.writeTrustedRoot(tb, dir, name, true)
}

func (s *Sigstore) writeTrustedRoot(tb testing.TB, dir, name string, ctlog bool) string {
	tb.Helper()
	// The testing CA keys its logs by the hex of their IDs and holds the hex itself as the
	// ID; a trusted root file holds the raw ID. Re-key them as a real root has them.
	rekey := func(logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
		out := map[string]*root.TransparencyLog{}
		for id, l := range logs {
			raw, err := hex.DecodeString(id)
			if err != nil {
				tb.Fatalf("testenv: log ID %q: %v", id, err)
			}
			cp := *l
			cp.ID = raw
			out[id] = &cp
		}
		return out
	}
	var ctlogs map[string]*root.TransparencyLog
	if ctlog {
		ctlogs = rekey(s.ca.CTLogs())
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		s.ca.FulcioCertificateAuthorities(), ctlogs, s.ca.TimestampingAuthorities(), rekey(s.ca.RekorLogs()))
	if err != nil {
		tb.Fatalf("testenv: trusted root: %v", err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		tb.Fatalf("testenv: trusted root: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return path
}

// Identity is a keyless signer of this instance: certificates are issued to subject (the
// SAN: an e-mail or a workflow URI) as vouched for by the OIDC issuer.
func (s *Sigstore) Identity(subject, issuer string) *SigstoreIdentity {
	return &SigstoreIdentity{sigstore: s, subject: subject, issuer: issuer}
}

// SigstoreIdentity signs keylessly: each signature gets a fresh certificate from the
// instance's Fulcio and an entry in its Rekor log, as `cosign sign` does with an OIDC token.
type SigstoreIdentity struct {
	sigstore        *Sigstore
	subject, issuer string
}

// integratedTime is when the testing CA's log says it saw a signature: inside the
// certificate's ten minutes, as it does itself.
func integratedTime() time.Time { return time.Now().Add(5 * time.Minute) }

func (id *SigstoreIdentity) signV2(tb testing.TB, payload []byte) map[string]string {
	tb.Helper()
	vs := id.sigstore.ca
	entity, err := vs.SignAtTime(id.subject, id.issuer, payload, integratedTime())
	if err != nil {
		tb.Fatalf("testenv: keyless sign: %v", err)
	}
	sigContent, err := entity.SignatureContent()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	vc, err := entity.VerificationContent()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	entries, err := entity.TlogEntries()
	if err != nil || len(entries) != 1 {
		tb.Fatalf("testenv: tlog entries %v, %v", entries, err)
	}
	timestamps, err := entity.Timestamps()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}

	// cosign v2's bundle annotation is the log entry and its signed entry timestamp.
	entry := entries[0]
	payloadForSET := tlog.RekorPayload{
		Body:           entry.Body(),
		IntegratedTime: entry.IntegratedTime().Unix(),
		LogIndex:       entry.LogIndex(),
		LogID:          hexLogID(entry.LogKeyID()),
	}
	set, err := vs.RekorSignPayload(payloadForSET)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	rekorBundle, err := json.Marshal(map[string]any{
		"SignedEntryTimestamp": set,
		"Payload":              payloadForSET,
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	annotations := map[string]string{
		cosignSignatureAnnot:   base64.StdEncoding.EncodeToString(sigContent.Signature()),
		cosignCertificateAnnot: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vc.Certificate().Raw})),
		cosignChainAnnot:       id.sigstore.chainPEM(),
		cosignBundleAnnot:      string(rekorBundle),
	}
	if len(timestamps) > 0 {
		ts, err := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": timestamps[0]})
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		annotations[cosignTimestampAnnot] = string(ts)
	}
	return annotations
}

func (id *SigstoreIdentity) signV3(tb testing.TB, statement []byte) []byte {
	tb.Helper()
	vs := id.sigstore.ca
	// Bundles from v0.2 on carry an inclusion proof, not only the log's promise.
	entity, err := vs.AttestAtTime(id.subject, id.issuer, statement, integratedTime(), true)
	if err != nil {
		tb.Fatalf("testenv: keyless attest: %v", err)
	}
	sigContent, err := entity.SignatureContent()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	vc, err := entity.VerificationContent()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	entries, err := entity.TlogEntries()
	if err != nil || len(entries) != 1 {
		tb.Fatalf("testenv: tlog entries %v, %v", entries, err)
	}
	timestamps, err := entity.Timestamps()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}

	entry := entries[0]
	tle := proto.Clone(entry.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
	// The testing CA's entry lacks what a bundle's entry carries: its kind and version
	// (from the body), and the signed entry timestamp.
	var body struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(tle.CanonicalizedBody, &body); err != nil {
		tb.Fatalf("testenv: log entry body: %v", err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: body.Kind, Version: body.APIVersion}
	set, err := vs.RekorSignPayload(tlog.RekorPayload{
		Body:           entry.Body(),
		IntegratedTime: entry.IntegratedTime().Unix(),
		LogIndex:       entry.LogIndex(),
		LogID:          hexLogID(entry.LogKeyID()),
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}

	material := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{
			Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw},
		},
		TlogEntries: []*protorekor.TransparencyLogEntry{tle},
	}
	if len(timestamps) > 0 {
		material.TimestampVerificationData = &protobundle.TimestampVerificationData{}
		for _, ts := range timestamps {
			material.TimestampVerificationData.Rfc3161Timestamps = append(material.TimestampVerificationData.Rfc3161Timestamps,
				&protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
		}
	}
	return marshalBundle(tb, &protobundle.Bundle{
		MediaType:            cosignBundleType,
		VerificationMaterial: material,
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: protoEnvelope(tb, sigContent.EnvelopeContent().RawEnvelope())},
	})
}

// chainPEM is the certificate chain cosign v2 writes beside a keyless signature.
func (s *Sigstore) chainPEM() string {
	var out []byte
	for _, authority := range s.ca.FulcioCertificateAuthorities() {
		fulcio, ok := authority.(*root.FulcioCertificateAuthority)
		if !ok {
			continue
		}
		for _, c := range fulcio.Intermediates {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		if fulcio.Root != nil {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fulcio.Root.Raw})...)
		}
	}
	return string(out)
}
