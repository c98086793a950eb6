package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// OriginPrefix starts the origin line of a tenant's checkpoint; the
// tenant's ID follows.
const OriginPrefix = "configmat.audit/"

// Hasher is the RFC 9162 hasher of the audit trees (SHA-256, leaf prefix
// 0x00, node prefix 0x01), for verifying proofs with
// github.com/transparency-dev/merkle/proof.
var Hasher = rfc6962.DefaultHasher

// ranges builds the compact ranges of the audit trees.
var ranges = &compact.RangeFactory{Hash: Hasher.HashChildren}

// LeafHash returns the Merkle leaf hash of an entry: SHA-256(0x00 ||
// Canonical(e)).
func LeafHash(e domain.AuditEntry) ([]byte, error) {
	canonical, err := Canonical(e)
	if err != nil {
		return nil, err
	}
	return Hasher.HashLeaf(canonical), nil
}

// Checkpoint is a signed statement of a tenant's audit tree.
type Checkpoint struct {
	Origin   string
	Size     int64
	RootHash []byte
	// Note is the signed note text.
	Note string
}

// checkpointText is the body of a tenant's checkpoint note.
func checkpointText(tenant domain.TenantID, size int64, root []byte) string {
	return OriginPrefix + string(tenant) + "\n" + strconv.FormatInt(size, 10) + "\n" +
		base64.StdEncoding.EncodeToString(root) + "\n"
}

// ReasonCheckpoint is the Verification.Reason of entries that do not match
// a checkpoint: they do not reach its size, or their tree has another root.
const ReasonCheckpoint = "checkpoint mismatch"

// OpenCheckpoint checks a signed checkpoint note with the verifier key alone
// and returns what it states; a VALIDATION_ERROR when the signature, the key
// or the text is wrong.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, domain.Errorf(domain.KindInvalid, "not an audit verifier key")
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, domain.Errorf(domain.KindInvalid, "the checkpoint's signature does not verify: %v", err)
	}
	// The note format reads signatures leniently (base64's unused bits, other
	// keys' lines); a checkpoint is accepted only byte for byte as signed.
	if len(n.UnverifiedSigs) > 0 {
		return Checkpoint{}, domain.Errorf(domain.KindInvalid, "the checkpoint carries a signature by another key")
	}
	for _, sig := range n.Sigs {
		if _, err := base64.StdEncoding.Strict().DecodeString(sig.Base64); err != nil {
			return Checkpoint{}, domain.Errorf(domain.KindInvalid, "the checkpoint's signature is not in canonical base64")
		}
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" || !strings.HasPrefix(lines[0], OriginPrefix) {
		return Checkpoint{}, domain.Errorf(domain.KindInvalid, "the checkpoint's text is not origin, size and root hash")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, domain.Errorf(domain.KindInvalid, "the checkpoint's size is not a number")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != Hasher.Size() {
		return Checkpoint{}, domain.Errorf(domain.KindInvalid, "the checkpoint's root hash is not a base64 SHA-256")
	}
	return Checkpoint{Origin: lines[0], Size: size, RootHash: root, Note: string(msg)}, nil
}

// RootOf returns the root hash of the tree whose leaves are the entries, in
// order (the empty tree's for none).
func RootOf(entries []domain.AuditEntry) ([]byte, error) {
	r := ranges.NewEmptyRange(0)
	for _, e := range entries {
		leaf, err := LeafHash(e)
		if err != nil {
			return nil, err
		}
		if err := r.Append(leaf, nil); err != nil {
			return nil, domain.Wrap(err, "could not build the audit tree")
		}
	}
	return rootOf(r)
}

// rootOf is the root hash of a compact range from 0.
func rootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return Hasher.EmptyRoot(), nil
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, domain.Wrap(err, "could not hash the audit tree")
	}
	return root, nil
}

// tree grows a tenant's stored tree and signs its checkpoints.
type tree struct{ signer *Signer }

// advance brings the stored tree of the tenant up to its chain head headSeq
// and signs its checkpoint. leaves holds the canonical forms of the newest
// entries, already known to the caller (the one being appended); older
// entries that the tree lacks (entries written before checkpoints existed)
// are read from the chain. A tree larger than the chain means entries were
// removed: KindInternal, and nothing is written.
func (t tree) advance(ctx context.Context, chain ports.AuditStore, tenant domain.TenantID, headSeq int64, known map[int64][]byte) (domain.AuditCheckpoint, error) {
	cp, err := chain.Checkpoint(ctx)
	if err != nil {
		return domain.AuditCheckpoint{}, err
	}
	switch {
	case cp.Size == headSeq && cp.Note != "":
		return cp, nil
	case cp.Size > headSeq:
		return domain.AuditCheckpoint{}, domain.Errorf(domain.KindInternal,
			"the audit tree of tenant %s has %d entries but its chain %d: entries were removed", tenant, cp.Size, headSeq)
	}
	r, err := ranges.NewRange(0, uint64(cp.Size), cp.Range)
	if err != nil {
		return domain.AuditCheckpoint{}, domain.Wrap(err, "the stored audit tree state is damaged")
	}
	var nodes []domain.AuditTreeNode
	visit := func(id compact.NodeID, hash []byte) {
		nodes = append(nodes, domain.AuditTreeNode{Level: int(id.Level), Index: int64(id.Index), Hash: bytes.Clone(hash)})
	}
	next := cp.Size + 1
	for next <= headSeq {
		if canonical, ok := known[next]; ok {
			if err := r.Append(Hasher.HashLeaf(canonical), visit); err != nil {
				return domain.AuditCheckpoint{}, domain.Wrap(err, "could not grow the audit tree")
			}
			next++
			continue
		}
		page, err := chain.List(ctx, next-1, verifyPageSize)
		if err != nil {
			return domain.AuditCheckpoint{}, err
		}
		if len(page) == 0 || page[0].Seq != next {
			return domain.AuditCheckpoint{}, domain.Errorf(domain.KindInternal, "audit entry %d is missing from tenant %s's chain", next, tenant)
		}
		for _, e := range page {
			if e.Seq != next || next > headSeq {
				break
			}
			if _, ok := known[next]; ok {
				break
			}
			e.TenantID = tenant
			leaf, err := LeafHash(e)
			if err != nil {
				return domain.AuditCheckpoint{}, err
			}
			if err := r.Append(leaf, visit); err != nil {
				return domain.AuditCheckpoint{}, domain.Wrap(err, "could not grow the audit tree")
			}
			next++
		}
	}
	root, err := rootOf(r)
	if err != nil {
		return domain.AuditCheckpoint{}, err
	}
	signed, err := t.signer.sign(checkpointText(tenant, headSeq, root))
	if err != nil {
		return domain.AuditCheckpoint{}, err
	}
	out := domain.AuditCheckpoint{Size: headSeq, RootHash: root, Range: r.Hashes(), Note: signed}
	if err := chain.SaveCheckpoint(ctx, out, nodes); err != nil {
		return domain.AuditCheckpoint{}, err
	}
	return out, nil
}

// inclusion returns the leaf hash of entry seq and its inclusion proof in
// the tree of the first size entries.
func inclusion(ctx context.Context, chain ports.AuditStore, seq, size int64) ([]byte, [][]byte, error) {
	nodes, err := proof.Inclusion(uint64(seq-1), uint64(size))
	if err != nil {
		return nil, nil, domain.Wrap(err, "could not plan the inclusion proof")
	}
	places := append([]domain.AuditTreeNode{{Level: 0, Index: seq - 1}}, placesOf(nodes.IDs)...)
	hashes, err := chain.TreeNodes(ctx, places)
	if err != nil {
		return nil, nil, err
	}
	p, err := nodes.Rehash(hashes[1:], Hasher.HashChildren)
	if err != nil {
		return nil, nil, domain.Wrap(err, "could not build the inclusion proof")
	}
	return hashes[0], p, nil
}

// consistency returns the proof that the tree of to entries extends the
// tree of from entries.
func consistency(ctx context.Context, chain ports.AuditStore, from, to int64) ([][]byte, error) {
	nodes, err := proof.Consistency(uint64(from), uint64(to))
	if err != nil {
		return nil, domain.Wrap(err, "could not plan the consistency proof")
	}
	if len(nodes.IDs) == 0 {
		return [][]byte{}, nil
	}
	hashes, err := chain.TreeNodes(ctx, placesOf(nodes.IDs))
	if err != nil {
		return nil, err
	}
	p, err := nodes.Rehash(hashes, Hasher.HashChildren)
	if err != nil {
		return nil, domain.Wrap(err, "could not build the consistency proof")
	}
	return p, nil
}

// placesOf converts the library's node IDs to the store's places.
func placesOf(ids []compact.NodeID) []domain.AuditTreeNode {
	out := make([]domain.AuditTreeNode, len(ids))
	for i, id := range ids {
		out[i] = domain.AuditTreeNode{Level: int(id.Level), Index: int64(id.Index)}
	}
	return out
}
