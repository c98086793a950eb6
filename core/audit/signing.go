package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/configmat/configmat/core/domain"
)

// SignerName is the key name of every audit signing key: it names the
// signature lines of a checkpoint and starts the verifier key.
const SignerName = "configmat.audit"

// algEd25519 is the signed note format's algorithm byte for Ed25519.
const algEd25519 = 1

// Signer signs the tenants' checkpoints with one Ed25519 key.
type Signer struct {
	signer   note.Signer
	verifier string
}

// NewSigner parses a signing key as GenerateSigningKey writes it (the
// AUDIT_SIGNING_KEY setting); a VALIDATION_ERROR when it is not one.
func NewSigner(key string) (*Signer, error) {
	s, err := note.NewSigner(strings.TrimSpace(key))
	if err != nil || s.Name() != SignerName {
		return nil, domain.Errorf(domain.KindInvalid, "not an audit signing key (configmat keygen --audit prints one)")
	}
	seed, err := seedOf(strings.TrimSpace(key))
	if err != nil {
		return nil, err
	}
	return signerFromSeed(seed)
}

// SignerFromSeed returns the signer of the Ed25519 key with the 32-byte seed
// (keys.KEK.AuditSigningSeed for a derived key).
func SignerFromSeed(seed []byte) (*Signer, error) { return signerFromSeed(seed) }

func signerFromSeed(seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, domain.Errorf(domain.KindInvalid, "an audit signing seed has %d bytes", ed25519.SeedSize)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(SignerName, pub)
	if err != nil {
		return nil, domain.Wrap(err, "could not encode the audit verifier key")
	}
	// vkey is name+hash+key; the signing key is PRIVATE+KEY+name+hash+seed.
	parts := strings.SplitN(vkey, "+", 3)
	skey := "PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, seed...))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, domain.Wrap(err, "could not build the audit signer")
	}
	return &Signer{signer: s, verifier: vkey}, nil
}

// seedOf returns the Ed25519 seed of a note signing key.
func seedOf(skey string) ([]byte, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return nil, domain.Errorf(domain.KindInvalid, "not an audit signing key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algEd25519 {
		return nil, domain.Errorf(domain.KindInvalid, "not an Ed25519 audit signing key")
	}
	return raw[1:], nil
}

// VerifierKey returns the key auditors pin to check checkpoints
// (name+hash+key, as golang.org/x/mod/sumdb/note writes it).
func (s *Signer) VerifierKey() string { return s.verifier }

// sign returns the signed note of text.
func (s *Signer) sign(text string) (string, error) {
	msg, err := note.Sign(&note.Note{Text: text}, s.signer)
	if err != nil {
		return "", domain.Wrap(err, "could not sign the audit checkpoint")
	}
	return string(msg), nil
}

// GenerateSigningKey returns a new random signing key (for
// AUDIT_SIGNING_KEY) and its verifier key.
func GenerateSigningKey(random io.Reader) (signing, verifier string, err error) {
	skey, vkey, err := note.GenerateKey(random, SignerName)
	if err != nil {
		return "", "", domain.Wrap(err, "could not generate an audit signing key")
	}
	return skey, vkey, nil
}
