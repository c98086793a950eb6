package audit

import "github.com/configmat/configmat/core/domain"

// Reasons a chain is invalid, as reported in Verification.Reason.
const (
	ReasonSequenceGap  = "sequence gap"
	ReasonPreviousHash = "previous hash mismatch"
	ReasonHash         = "hash mismatch"
	ReasonHead         = "chain head mismatch"
)

// Verifier checks a chain one entry at a time, in sequence order, for callers
// that read it in pages (the CLI, Service.Verify). The zero Verifier expects
// the first entry of a chain. Entries must carry their TenantID.
type Verifier struct {
	entries  int64
	lastSeq  int64
	lastHash string
	failSeq  int64
	reason   string
}

// Add checks the next entry and reports whether the chain is still intact.
// Once it is broken, further entries are ignored.
func (v *Verifier) Add(e domain.AuditEntry) bool {
	if v.reason != "" {
		return false
	}
	v.entries++
	switch {
	case e.Seq != v.lastSeq+1:
		v.failSeq, v.reason = v.lastSeq+1, ReasonSequenceGap
	case e.PreviousHash != v.head():
		v.failSeq, v.reason = e.Seq, ReasonPreviousHash
	default:
		if h, err := Hash(e.PreviousHash, e); err != nil || h != e.Hash {
			v.failSeq, v.reason = e.Seq, ReasonHash
		}
	}
	if v.reason != "" {
		return false
	}
	v.lastSeq, v.lastHash = e.Seq, e.Hash
	return true
}

// Result returns the verification of the entries added so far.
func (v *Verifier) Result() Verification {
	if v.reason != "" {
		return Verification{Entries: v.entries, FirstInvalidSeq: v.failSeq, Reason: v.reason}
	}
	return Verification{Valid: true, Entries: v.entries, HeadHash: v.head()}
}

// head is the hash the next entry must name as its previous hash.
func (v *Verifier) head() string {
	if v.lastSeq == 0 {
		return domain.GenesisHash
	}
	return v.lastHash
}

// VerifyEntries verifies a whole chain held in memory, ordered by seq.
func VerifyEntries(entries []domain.AuditEntry) Verification {
	var v Verifier
	for _, e := range entries {
		if !v.Add(e) {
			break
		}
	}
	return v.Result()
}
