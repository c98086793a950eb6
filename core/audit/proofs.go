package audit

import (
	"bytes"
	"context"
	"strconv"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// InclusionProof says that an entry is in the tree of a checkpoint's size.
type InclusionProof struct {
	Seq, Size int64
	LeafHash  []byte
	Proof     [][]byte
}

// ConsistencyProof says that the tree of To entries extends the tree of
// From entries.
type ConsistencyProof struct {
	From, To int64
	Proof    [][]byte
}

// VerifierKey returns the key that checks the service's checkpoints.
func (s *Service) VerifierKey() string { return s.tree.signer.VerifierKey() }

// Checkpoint returns the actor's tenant's latest signed checkpoint, first
// completing the tree of entries written before checkpoints existed. An
// empty chain's checkpoint is signed on the fly. It requires the admin role.
func (s *Service) Checkpoint(ctx context.Context, actor domain.Actor) (Checkpoint, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return Checkpoint{}, err
	}
	var out Checkpoint
	err := s.current(ctx, actor.TenantID, func(_ context.Context, _ ports.AuditStore, cp Checkpoint) error {
		out = cp
		return nil
	})
	return out, err
}

// Inclusion proves that entry seq is in the tree of the first size entries.
// It requires the admin role; seq must be between 1 and size, and size at
// most the log's size (VALIDATION_ERROR).
func (s *Service) Inclusion(ctx context.Context, actor domain.Actor, seq, size int64) (InclusionProof, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return InclusionProof{}, err
	}
	problems := domain.Problems{}
	if seq < 1 {
		problems.Add("seq", "must be at least 1")
	}
	if size < seq {
		problems.Add("size", "must be at least seq")
	}
	if err := problems.Err(); err != nil {
		return InclusionProof{}, err
	}
	out := InclusionProof{Seq: seq, Size: size}
	err := s.current(ctx, actor.TenantID, func(ctx context.Context, chain ports.AuditStore, cp Checkpoint) error {
		if size > cp.Size {
			return sizeProblem("size", cp.Size)
		}
		var err error
		out.LeafHash, out.Proof, err = inclusion(ctx, chain, seq, size)
		return err
	})
	return out, err
}

// Consistency proves that the tree of the first to entries extends the tree
// of the first from entries. It requires the admin role; from must be
// between 1 and to, and to at most the log's size (VALIDATION_ERROR): a
// checkpoint larger than the log shows that entries were removed.
func (s *Service) Consistency(ctx context.Context, actor domain.Actor, from, to int64) (ConsistencyProof, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return ConsistencyProof{}, err
	}
	problems := domain.Problems{}
	if from < 1 {
		problems.Add("from", "must be at least 1")
	}
	if to < from {
		problems.Add("to", "must be at least from")
	}
	if err := problems.Err(); err != nil {
		return ConsistencyProof{}, err
	}
	out := ConsistencyProof{From: from, To: to}
	err := s.current(ctx, actor.TenantID, func(ctx context.Context, chain ports.AuditStore, cp Checkpoint) error {
		if to > cp.Size {
			return sizeProblem("to", cp.Size)
		}
		var err error
		out.Proof, err = consistency(ctx, chain, from, to)
		return err
	})
	return out, err
}

// sizeProblem is the VALIDATION_ERROR of a tree size beyond the log's.
func sizeProblem(field string, size int64) error {
	problems := domain.Problems{}
	problems.Add(field, "exceeds the audit log's size, "+strconv.FormatInt(size, 10))
	return problems.Err()
}

// current runs fn in a transaction of tenant holding the chain's head lock,
// with the tree complete up to the head and its latest checkpoint.
func (s *Service) current(ctx context.Context, tenant domain.TenantID, fn func(context.Context, ports.AuditStore, Checkpoint) error) error {
	return s.tx.InTenant(ctx, tenant, func(ctx context.Context, st ports.TenantTx) error {
		chain := st.Audit()
		headSeq, headHash, err := chain.LockHead(ctx)
		if err != nil {
			return err
		}
		r, err := s.tree.rangeAt(ctx, chain, tenant, headSeq, headHash)
		if err != nil {
			return err
		}
		root, err := rootOf(r)
		if err != nil {
			return err
		}
		cp := Checkpoint{Origin: OriginPrefix + string(tenant), Size: headSeq, RootHash: root}
		stored, err := chain.Checkpoint(ctx)
		if err != nil {
			return err
		}
		if stored.Size != headSeq && headSeq > 0 {
			return domain.Errorf(domain.KindInternal, "tenant %s's latest checkpoint is at %d, its chain head at %d", tenant, stored.Size, headSeq)
		}
		cp.Note = stored.Note
		// A checkpoint signed by an earlier key (a derived key's ENCRYPTION_KEY
		// was rotated), or none for an empty chain, is signed anew over the
		// stored tree: what the service states is always under its own key.
		if opened, err := OpenCheckpoint([]byte(stored.Note), s.tree.signer.VerifierKey()); err != nil ||
			opened.Size != headSeq || !bytes.Equal(opened.RootHash, root) {
			if cp.Note, err = s.tree.signer.sign(checkpointText(tenant, headSeq, root)); err != nil {
				return err
			}
		}
		return fn(ctx, chain, cp)
	})
}

// checkStored checks the stored checkpoint against an intact walk: it must
// open with the configured key (or an earlier one, Deps.EarlierVerifierKeys) and name the tenant, and the chain must
// reach its size with its root.
func (s *Service) checkStored(v *Verifier, tenant domain.TenantID, stored domain.AuditCheckpoint) Verification {
	var cp Checkpoint
	var err error
	for _, key := range append([]string{s.tree.signer.VerifierKey()}, s.earlier...) {
		if cp, err = OpenCheckpoint([]byte(stored.Note), key); err == nil {
			break
		}
	}
	if err != nil || cp.Origin != OriginPrefix+string(tenant) || cp.Size != stored.Size {
		r := v.Result()
		return Verification{Entries: r.Entries, FirstInvalidSeq: max(stored.Size, 1), Reason: ReasonCheckpoint}
	}
	return v.CheckCheckpoint(cp)
}
