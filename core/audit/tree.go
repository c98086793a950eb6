package audit

import (
	"context"
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

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

// treeCacheMax bounds the tenants whose tree edge a log keeps in memory.
const treeCacheMax = 4096

// tree grows the tenants' trees and signs their checkpoints. It keeps, per
// tenant, the compact range of the tree at the chain head it last saw: the
// tree is a function of the entries, which the head's hash commits to, so a
// range kept for (seq, hash) is right whenever the head is (seq, hash), and
// an append needs no statement to find the tree's edge.
type tree struct {
	signer *Signer
	mu     sync.Mutex
	edges  map[domain.TenantID]edge
}

// edge is the compact range of a tenant's tree at the head (seq, hash).
type edge struct {
	seq    int64
	hash   string
	hashes [][]byte
}

func newTree(signer *Signer) *tree {
	return &tree{signer: signer, edges: map[domain.TenantID]edge{}}
}

// rangeAt returns the compact range of the tenant's tree of the headSeq
// entries whose last hash is headHash: from memory, or else from the stored
// nodes, first completing the tree of entries written before checkpoints
// existed.
func (t *tree) rangeAt(ctx context.Context, chain ports.AuditStore, tenant domain.TenantID, headSeq int64, headHash string) (*compact.Range, error) {
	if seq, hash, r, ok := t.edgeOf(tenant); ok && seq == headSeq && hash == headHash {
		return r, nil
	}
	cp, err := chain.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if cp.Size > headSeq {
		return nil, domain.Errorf(domain.KindInternal, "tenant %s has a checkpoint at %d beyond its chain head %d", tenant, cp.Size, headSeq)
	}
	r, err := storedRange(ctx, chain, cp.Size)
	if err != nil {
		return nil, err
	}
	if cp.Size < headSeq {
		if err := t.backfill(ctx, chain, tenant, r, headSeq); err != nil {
			return nil, err
		}
	}
	t.remember(tenant, headSeq, headHash, r)
	return r, nil
}

// edgeOf returns the head of the tenant's chain as this tree last saw it
// and a copy of the tree's compact range there; ok is false when it keeps
// none for the tenant (or none that makes a range: the stored nodes answer
// then).
func (t *tree) edgeOf(tenant domain.TenantID) (seq int64, hash string, r *compact.Range, ok bool) {
	t.mu.Lock()
	e, found := t.edges[tenant]
	t.mu.Unlock()
	if !found {
		return 0, "", nil, false
	}
	r, err := ranges.NewRange(0, treeIndex(e.seq), slices.Clone(e.hashes))
	if err != nil {
		return 0, "", nil, false
	}
	return e.seq, e.hash, r, true
}

// storedRange reads the compact range of the tree of the first size entries
// from the stored nodes.
func storedRange(ctx context.Context, chain ports.AuditStore, size int64) (*compact.Range, error) {
	hashes, err := chain.TreeNodes(ctx, placesOf(compact.RangeNodes(0, treeIndex(size), nil)))
	if err != nil {
		return nil, err
	}
	r, err := ranges.NewRange(0, treeIndex(size), hashes)
	if err != nil {
		return nil, domain.Wrap(err, "could not rebuild the audit tree's edge")
	}
	return r, nil
}

// backfill adds the entries after r's end up to headSeq, written before
// checkpoints existed, to the tree: their nodes, and the newest a checkpoint.
func (t *tree) backfill(ctx context.Context, chain ports.AuditStore, tenant domain.TenantID, r *compact.Range, headSeq int64) error {
	for next := seqOf(r.End()) + 1; next <= headSeq; {
		page, err := chain.List(ctx, next-1, verifyPageSize)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return domain.Errorf(domain.KindInternal, "audit entry %d is missing from tenant %s's chain", next, tenant)
		}
		for _, e := range page {
			if e.Seq > headSeq {
				return nil
			}
			if e.Seq != next {
				return domain.Errorf(domain.KindInternal, "audit entry %d is missing from tenant %s's chain", next, tenant)
			}
			e.TenantID = tenant
			canonical, err := Canonical(e)
			if err != nil {
				return err
			}
			// Only the newest gets a checkpoint: signing each would only
			// lengthen the first write after an upgrade.
			nodes, note, err := t.grow(r, tenant, canonical, e.Seq == headSeq)
			if err != nil {
				return err
			}
			if err := chain.SetTree(ctx, e.Seq, nodes, note); err != nil {
				return err
			}
			next++
		}
	}
	return nil
}

// grow appends the entry whose canonical form is canonical to r and returns
// the nodes it completes (its leaf first) and, when sign is set, the signed
// checkpoint of the grown tree.
func (t *tree) grow(r *compact.Range, tenant domain.TenantID, canonical []byte, sign bool) ([][]byte, string, error) {
	var nodes [][]byte
	if err := r.Append(Hasher.HashLeaf(canonical), func(_ compact.NodeID, h []byte) { nodes = append(nodes, h) }); err != nil {
		return nil, "", domain.Wrap(err, "could not grow the audit tree")
	}
	if !sign {
		return nodes, "", nil
	}
	root, err := rootOf(r)
	if err != nil {
		return nil, "", err
	}
	note, err := t.signer.sign(checkpointText(tenant, seqOf(r.End()), root))
	if err != nil {
		return nil, "", err
	}
	return nodes, note, nil
}

// remember keeps r as the tenant's tree at the head (seq, hash).
func (t *tree) remember(tenant domain.TenantID, seq int64, hash string, r *compact.Range) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.edges[tenant]; !ok && len(t.edges) >= treeCacheMax {
		clear(t.edges)
	}
	t.edges[tenant] = edge{seq: seq, hash: hash, hashes: slices.Clone(r.Hashes())}
}

// inclusion returns the leaf hash of entry seq and its inclusion proof in
// the tree of the first size entries.
func inclusion(ctx context.Context, chain ports.AuditStore, seq, size int64) ([]byte, [][]byte, error) {
	nodes, err := proof.Inclusion(treeIndex(seq-1), treeIndex(size))
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
	nodes, err := proof.Consistency(treeIndex(from), treeIndex(to))
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
		out[i] = domain.AuditTreeNode{Level: int(id.Level), Index: seqOf(id.Index)}
	}
	return out
}

// treeIndex converts a sequence number or tree size, never negative (the
// stores' checks, the service's validation), to the library's index type.
func treeIndex(n int64) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n) // #nosec G115 -- n is not negative
}

// seqOf converts a tree index or size back: a tree holds fewer than 2^63
// leaves.
func seqOf(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n) // #nosec G115 -- n is at most math.MaxInt64
}
