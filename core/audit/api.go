// Package audit is ConfigMat's tamper-evident audit chain: appending entries
// inside the transaction of the change they record, and verifying a tenant's
// chain.
//
// # The chain
//
// A tenant's entries are numbered 1, 2, 3, ... without gaps. Each entry's hash
// covers the previous entry's hash and the entry itself:
//
//	hash = hex(SHA-256(previous_hash || canonical))
//
// where hex is lower-case hexadecimal, previous_hash is the previous entry's
// hash written as its 64 ASCII hex characters (domain.GenesisHash, 64 "0"
// characters, for entry 1), and canonical is the RFC 8785 (JCS) canonical JSON
// of the object with exactly these members:
//
//	action      the action, e.g. "asset.created"
//	actor       "user:<id>", "api_key:<id>" or "system"
//	created_at  the time in UTC as "2006-01-02T15:04:05.000000Z" (microseconds)
//	details     the entry's details, a JSON object ({} when it has none)
//	seq         the sequence number, as a JSON number
//	target      what the action was done to, e.g. "asset:web-api"
//	tenant_id   the tenant's UUID
//
// Canonical JSON sorts members by name, has no whitespace, writes non-ASCII
// characters as UTF-8 and numbers as ECMAScript does (1.5, 1e+21). An auditor
// can therefore recompute any entry's hash from its fields with
//
//	printf '%s%s' "$previous_hash" "$canonical" | sha256sum
//
// # Verification
//
// Verification walks the chain by sequence number and stops at the first
// entry that fails a check. For each entry it checks, in this order:
//
//   - "sequence gap": its seq is the previous entry's seq plus one (1 for
//     the first). A deleted, inserted or reordered entry breaks this; the
//     reported seq is the expected one (a missing entry 3 is reported as 3).
//   - "previous hash mismatch": its previous_hash is the previous entry's
//     hash (domain.GenesisHash for the first); reported at the entry's seq.
//   - "hash mismatch": its hash is the recomputed one; reported at the
//     entry's seq. An entry whose fields cannot be hashed at all (details
//     that are not a JSON object, text that is not UTF-8) fails this check.
//
// A valid chain reports its length and head hash (domain.GenesisHash when
// empty). Keeping the head hash outside the database also detects the removal
// of the newest entries, which no chain can detect by itself.
package audit

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// verifyPageSize is how many entries Verify reads per query.
const verifyPageSize = 500

// Verification is the result of walking a tenant's chain.
type Verification struct {
	Valid bool
	// Entries is the number of entries checked: the whole chain when it is
	// valid, up to and including the first invalid entry otherwise.
	Entries  int64
	HeadHash string
	// FirstInvalidSeq and Reason are set when Valid is false.
	FirstInvalidSeq int64
	Reason          string
}

// Deps are the ports of the audit log and service.
type Deps struct {
	// Tx runs the service's reads (NewService).
	Tx ports.Transactor
	// Clock timestamps appended entries (NewLog); the system clock when nil.
	Clock ports.Clock
	// Signer signs the checkpoint that every append moves (NewLog) and that
	// the service serves (NewService). When nil, the log keeps no tree: for
	// tests of other services over mocked stores.
	Signer *Signer
	// EarlierVerifierKeys are the verifier keys of earlier signing keys,
	// whose stored checkpoints Verify still accepts (NewService).
	EarlierVerifierKeys []string
	// TurnWait bounds how long an append waits for its tenant's turn (NewLog);
	// DefaultTurnWait when zero.
	TurnWait time.Duration
}

// Log appends entries to a tenant's chain inside the caller's transaction.
type Log struct {
	clock ports.Clock
	// tree, when there is a signer, grows the tenant's Merkle tree and signs
	// its checkpoint with every append.
	tree *tree
	// turns queues the appends of each tenant (with tree).
	turns *turns
	// appended counts the entries written, for Appended.
	appended atomic.Uint64
}

// NewLog returns a log that timestamps entries with deps.Clock.
func NewLog(deps Deps) *Log {
	if deps.Clock == nil {
		deps.Clock = ports.SystemClock{}
	}
	l := &Log{clock: deps.Clock}
	if deps.Signer != nil {
		l.tree = newTree(deps.Signer)
		l.turns = newTurns(deps.TurnWait)
	}
	return l
}

// Append appends one entry for actor's action on target to chain, the
// audit store of the tenant's transaction, and, with a signer, adds it to
// the tenant's Merkle tree and signs the new checkpoint, all in the
// caller's transaction; details is marshalled to canonical JSON and must be
// a JSON object (nil gives {}). chain must be bound to actor.TenantID.
// Errors of the audit store are returned unchanged.
//
// The entry follows the chain head, which the append locks until the
// transaction ends. The appends of a tenant in the process take turns
// (turns): in its turn, an append starts from the head the log remembers
// (the tree's edge, which the append before it left) in one statement
// (TryAppend), which locks the head only if it is still there, waiting in
// the database for the commit of the append before it. When the log
// remembers no head, when the head is elsewhere (another process appended,
// or a transaction rolled back) or when the append did not get its turn in
// time, it locks the head first (LockHead) and appends from what it finds. Either way the head
// moves only from the head the entry names, under its lock: the chain
// stays gap-free whatever the writers and processes.
func (l *Log) Append(ctx context.Context, chain ports.AuditStore, actor domain.Actor, action, target string, details any) error {
	if actor.TenantID == "" {
		return domain.Errorf(domain.KindInternal, "an audit entry needs the actor's tenant")
	}
	if action == "" {
		return domain.Errorf(domain.KindInternal, "an audit entry needs an action")
	}
	d, err := marshalDetails(details)
	if err != nil {
		return err
	}
	if l.tree != nil {
		release, inTurn, err := l.turns.take(ctx, actor.TenantID)
		if err != nil {
			// The store's transaction answers for its context's end.
			return domain.Wrap(err, "could not wait for the audit chain")
		}
		if inTurn {
			defer release()
			appended, err := l.appendFromEdge(ctx, chain, actor, action, target, d, l.now())
			if err != nil || appended {
				return err
			}
		}
	}
	seq, prev, err := chain.LockHead(ctx)
	if err != nil {
		return err
	}
	var r *compact.Range
	if l.tree != nil {
		if r, err = l.tree.rangeAt(ctx, chain, actor.TenantID, seq, prev); err != nil {
			return err
		}
	}
	// Stamped under the head's lock: an entry is never older than the one
	// before it in the chain (with the clocks of its processes).
	e, err := l.entry(actor, action, target, d, l.now(), seq, prev, r)
	if err != nil {
		return err
	}
	if err := chain.Append(ctx, e); err != nil {
		return err
	}
	l.appendedAt(e, r)
	return nil
}

// now is the time an entry is stamped with, to the microsecond the stores keep.
func (l *Log) now() time.Time { return l.clock.Now().UTC().Truncate(time.Microsecond) }

// appendFromEdge appends the entry after the head the tree keeps for the
// tenant, in one statement (TryAppend); false when the tree keeps none or
// the chain's head is elsewhere, and then nothing was written.
func (l *Log) appendFromEdge(ctx context.Context, chain ports.AuditStore, actor domain.Actor, action, target string, details []byte, at time.Time) (bool, error) {
	seq, prev, r, known := l.tree.edgeOf(actor.TenantID)
	if !known {
		return false, nil
	}
	e, err := l.entry(actor, action, target, details, at, seq, prev, r)
	if err != nil {
		return false, err
	}
	appended, err := chain.TryAppend(ctx, e)
	if err != nil || !appended {
		return false, err
	}
	l.appendedAt(e, r)
	return true, nil
}

// entry returns the entry after the head (seq, prev) with its hash and,
// when r, the tenant's tree at that head, is given, the tree nodes it
// completes and the signed checkpoint of the tree it grows r to.
func (l *Log) entry(actor domain.Actor, action, target string, details []byte, at time.Time, seq int64, prev string, r *compact.Range) (domain.AuditEntry, error) {
	e := domain.AuditEntry{
		TenantID:     actor.TenantID,
		Seq:          seq + 1,
		Action:       action,
		Actor:        actor.String(),
		Target:       target,
		Details:      details,
		CreatedAt:    at,
		PreviousHash: prev,
	}
	canonical, err := canonicalWith(e, details)
	if err != nil {
		return domain.AuditEntry{}, err
	}
	e.Hash = hashOf(prev, canonical)
	if r == nil {
		return e, nil
	}
	if e.TreeNodes, e.Checkpoint, err = l.tree.grow(r, actor.TenantID, canonical, true); err != nil {
		return domain.AuditEntry{}, err
	}
	return e, nil
}

// appendedAt counts e, which the store accepted, and remembers r, the tree
// grown by e, as the tenant's tree at the head e.
func (l *Log) appendedAt(e domain.AuditEntry, r *compact.Range) {
	if r != nil {
		l.tree.remember(e.TenantID, e.Seq, e.Hash, r)
	}
	l.appended.Add(1)
}

// Appended returns how many entries Append has written since NewLog. An
// entry is counted when the store accepted it in the caller's transaction,
// so one whose transaction then failed to commit is counted too.
func (l *Log) Appended() uint64 { return l.appended.Load() }

// Service lists and verifies audit chains; both require the admin role.
type Service struct {
	tx   ports.Transactor
	tree *tree
	// earlier are verifier keys of earlier signing keys.
	earlier []string
}

// NewService returns the audit service over deps.Tx, serving checkpoints
// signed by deps.Signer.
func NewService(deps Deps) *Service {
	s := &Service{tx: deps.Tx, earlier: deps.EarlierVerifierKeys}
	if deps.Signer != nil {
		s.tree = newTree(deps.Signer)
	}
	return s
}

// List returns up to limit entries after afterSeq, oldest first, and the
// cursor (the last seq) of the next page, or "" at the end. A limit of 0
// selects domain.DefaultPageSize; any other limit outside 1..MaxPageSize, or
// a negative afterSeq, is a VALIDATION_ERROR.
func (s *Service) List(ctx context.Context, actor domain.Actor, afterSeq int64, limit int) ([]domain.AuditEntry, string, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return nil, "", err
	}
	if limit == 0 {
		limit = domain.DefaultPageSize
	}
	problems := domain.Problems{}
	if limit < 1 || limit > domain.MaxPageSize {
		problems.Add("limit", "must be between 1 and "+strconv.Itoa(domain.MaxPageSize))
	}
	if afterSeq < 0 {
		problems.Add("after_seq", "must not be negative")
	}
	if err := problems.Err(); err != nil {
		return nil, "", err
	}
	var entries []domain.AuditEntry
	err := s.tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		var err error
		entries, err = st.Audit().List(ctx, afterSeq, limit)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(entries) == limit {
		next = strconv.FormatInt(entries[len(entries)-1].Seq, 10)
	}
	if entries == nil {
		entries = []domain.AuditEntry{}
	}
	return entries, next, nil
}

// Verify walks the actor's tenant chain (see the package documentation for
// the checks) in one transaction, and checks the latest signed checkpoint:
// its signature by the configured key, its origin, and that the chain
// reaches its size with its root. It requires the admin role; the CLI passes
// domain.SystemActor(tenant).
func (s *Service) Verify(ctx context.Context, actor domain.Actor) (Verification, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return Verification{}, err
	}
	var result Verification
	err := s.tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		// Holding the head lock keeps appends out while the chain is read,
		// and the head itself witnesses entries removed from the end.
		headSeq, headHash, err := st.Audit().LockHead(ctx)
		if err != nil {
			return err
		}
		stored, err := st.Audit().Checkpoint(ctx)
		if err != nil {
			return err
		}
		v := Verifier{CheckpointSize: stored.Size}
		if err := walk(ctx, st.Audit(), actor.TenantID, &v); err != nil {
			return err
		}
		result = checkHead(v.Result(), headSeq, headHash)
		if result.Valid && stored.Note != "" && s.tree != nil {
			result = s.checkStored(&v, actor.TenantID, stored)
		}
		return nil
	})
	if err != nil {
		return Verification{}, err
	}
	return result, nil
}

// checkHead compares an intact walk with the chain's head: the last entry
// must be the one the head names. A chain whose newest entries were deleted
// is otherwise intact.
func checkHead(r Verification, headSeq int64, headHash string) Verification {
	if !r.Valid || (r.Entries == headSeq && r.HeadHash == headHash) {
		return r
	}
	first := min(r.Entries, headSeq) + 1 // the first entry missing from one side
	if r.Entries == headSeq {
		first = max(headSeq, 1) // as many entries, but the last is not the head's
	}
	return Verification{Entries: r.Entries, FirstInvalidSeq: first, Reason: ReasonHead}
}

// walk feeds the tenant's chain to v page by page until it ends or breaks.
// Every entry is checked as an entry of tenant, the tenant the store is bound
// to: an entry copied from another tenant's chain fails its hash.
func walk(ctx context.Context, store ports.AuditStore, tenant domain.TenantID, v *Verifier) error {
	var after int64
	for {
		page, err := store.List(ctx, after, verifyPageSize)
		if err != nil {
			return err
		}
		for _, e := range page {
			e.TenantID = tenant
			if !v.Add(e) {
				return nil
			}
		}
		if len(page) < verifyPageSize {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}
