package audit

import (
	"bytes"

	"github.com/transparency-dev/merkle/compact"

	"github.com/configmat/configmat/core/domain"
)

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
	// tree holds the Merkle tree of the entries added, and rootAt its root
	// once it had CheckpointSize entries.
	tree           *compact.Range
	CheckpointSize int64
	rootAt         []byte
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
		canonical, err := Canonical(e)
		if err != nil || hashOf(e.PreviousHash, canonical) != e.Hash {
			v.failSeq, v.reason = e.Seq, ReasonHash
			break
		}
		if v.tree == nil {
			v.tree = ranges.NewEmptyRange(0)
		}
		if err := v.tree.Append(Hasher.HashLeaf(canonical), nil); err != nil {
			v.failSeq, v.reason = e.Seq, ReasonHash
			break
		}
		if e.Seq == v.CheckpointSize {
			v.rootAt, _ = v.tree.GetRootHash(nil)
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

// CheckCheckpoint compares an intact walk with a checkpoint opened with the
// verifier key: the entries must reach its size (v.CheckpointSize, set before
// the first Add), and the tree of that many entries must have its root.
// A broken walk is returned as it is.
func (v *Verifier) CheckCheckpoint(cp Checkpoint) Verification {
	r := v.Result()
	if !r.Valid {
		return r
	}
	switch {
	case cp.Size > v.entries:
		return Verification{Entries: v.entries, FirstInvalidSeq: v.entries + 1, Reason: ReasonCheckpoint}
	case cp.Size == 0:
		if !bytes.Equal(cp.RootHash, Hasher.EmptyRoot()) {
			return Verification{Entries: v.entries, FirstInvalidSeq: 1, Reason: ReasonCheckpoint}
		}
	case cp.Size != v.CheckpointSize || !bytes.Equal(v.rootAt, cp.RootHash):
		return Verification{Entries: v.entries, FirstInvalidSeq: cp.Size, Reason: ReasonCheckpoint}
	}
	return r
}
