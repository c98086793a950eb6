package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/configmat/configmat/core/canonjson"
	"github.com/configmat/configmat/core/domain"
)

// auditStore holds the bound tenant's audit chain and its head.
type auditStore struct{ t *txn }

// LockHead locks the chain's head until the transaction ends, creating it
// when missing, and returns its sequence number and hash: one statement
// once the head exists (every tenant's first entry creates it). A tenant
// that does not exist has an empty chain and nothing to lock.
func (s auditStore) LockHead(ctx context.Context) (int64, string, error) {
	seq, hash, found, err := s.lockHead(ctx)
	if found || err != nil {
		return seq, hash, err
	}
	if _, err := s.t.exec(ctx, `INSERT INTO audit_heads (tenant_id, seq, hash)
		SELECT id, 0, ? FROM tenants WHERE id = ? ON CONFLICT DO NOTHING`, domain.GenesisHash, string(s.t.tenant)); err != nil {
		return 0, "", s.t.fail(err, "could not create the audit head")
	}
	seq, hash, found, err = s.lockHead(ctx)
	if !found && err == nil {
		return 0, domain.GenesisHash, nil
	}
	return seq, hash, err
}

// lockHead locks and reads the chain's head; found is false when there is none.
func (s auditStore) lockHead(ctx context.Context) (seq int64, hash string, found bool, err error) {
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	err = s.t.get(ctx, &head, `SELECT seq, hash FROM audit_heads WHERE tenant_id = ?`+s.t.locking.ForUpdate, string(s.t.tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, s.t.fail(err, "could not lock the audit head")
	}
	return head.Seq, head.Hash, true, nil
}

// Append inserts e and moves the head to it: the head moves only from
// (e.Seq-1, e.PreviousHash), and the entry is inserted only if it did.
// CONFLICT when the head is elsewhere or the sequence number is taken.
func (s auditStore) Append(ctx context.Context, e domain.AuditEntry) error {
	if err := s.t.own(e.TenantID); err != nil {
		return err
	}
	details := string(e.Details)
	if len(e.Details) == 0 {
		details = "{}"
	}
	tenant := string(s.t.tenant)
	return s.t.moveHead(ctx, "could not append the audit entry",
		`UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ? AND seq = ? AND hash = ?`,
		[]any{e.Seq, e.Hash, tenant, e.Seq - 1, e.PreviousHash},
		`INSERT INTO audit_entries (tenant_id, seq, action, actor, target, details, created_at, previous_hash, hash)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?`,
		[]any{tenant, e.Seq, e.Action, e.Actor, e.Target, details, stamp(e.CreatedAt), e.PreviousHash, e.Hash},
		domain.KindConflict, s.t.tenantParent())
}

// List returns up to limit entries (domain.DefaultPageSize when limit is not
// positive) with Seq > afterSeq, by sequence number. Details come back in
// canonical JSON, as they were hashed: jsonb keeps the value, not the text.
func (s auditStore) List(ctx context.Context, afterSeq int64, limit int) ([]domain.AuditEntry, error) {
	if limit <= 0 {
		limit = domain.DefaultPageSize
	}
	var rows []struct {
		Seq          int64  `db:"seq"`
		Action       string `db:"action"`
		Actor        string `db:"actor"`
		Target       string `db:"target"`
		Details      []byte `db:"details"`
		CreatedAt    dbTime `db:"created_at"`
		PreviousHash string `db:"previous_hash"`
		Hash         string `db:"hash"`
	}
	if err := s.t.list(ctx, &rows, `SELECT seq, action, actor, target, details, created_at, previous_hash, hash
		FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`, string(s.t.tenant), afterSeq, limit); err != nil {
		return nil, s.t.fail(err, "could not list the audit entries")
	}
	out := make([]domain.AuditEntry, 0, len(rows))
	for _, r := range rows {
		details := json.RawMessage("{}")
		if r.Details != nil {
			canonical, err := canonjson.Canonicalize(r.Details)
			if err != nil {
				return nil, domain.Wrap(err, "could not canonicalize audit details")
			}
			details = canonical
		}
		out = append(out, domain.AuditEntry{
			TenantID: s.t.tenant, Seq: r.Seq, Action: r.Action, Actor: r.Actor, Target: r.Target,
			Details: details, CreatedAt: r.CreatedAt.Time, PreviousHash: r.PreviousHash, Hash: r.Hash,
		})
	}
	return out, nil
}

// publisher queues the transaction's changes on the dialect's change queue.
type publisher struct{ t *txn }

// Publish queues c for delivery after the commit. c's tenant is the bound
// one (filled in when empty; VALIDATION_ERROR when another).
func (p publisher) Publish(ctx context.Context, c domain.Change) error {
	if err := p.t.own(c.TenantID); err != nil {
		return err
	}
	c.TenantID = p.t.tenant
	if p.t.changes == nil {
		p.t.changes = p.t.dialect.Changes(p.t.tx)
	}
	return p.t.changes.Publish(ctx, c)
}

// hashSize is the size of a tree hash (SHA-256).
const hashSize = 32

// Checkpoint returns the tenant's latest checkpoint, or Size 0 and no Note.
func (s auditStore) Checkpoint(ctx context.Context) (domain.AuditCheckpoint, error) {
	var row struct {
		Size  int64  `db:"size"`
		Root  []byte `db:"root_hash"`
		Range []byte `db:"compact_range"`
		Note  string `db:"note"`
	}
	err := s.t.get(ctx, &row, `SELECT size, root_hash, compact_range, note FROM audit_checkpoints WHERE tenant_id = ?`, string(s.t.tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.AuditCheckpoint{}, nil
	}
	if err != nil {
		return domain.AuditCheckpoint{}, s.t.fail(err, "could not read the audit checkpoint")
	}
	if len(row.Range)%hashSize != 0 {
		return domain.AuditCheckpoint{}, domain.Errorf(domain.KindInternal, "the stored audit tree range is damaged")
	}
	cp := domain.AuditCheckpoint{Size: row.Size, RootHash: row.Root, Note: row.Note}
	for at := 0; at < len(row.Range); at += hashSize {
		cp.Range = append(cp.Range, row.Range[at:at+hashSize])
	}
	return cp, nil
}

// nodeBatch is how many tree nodes one INSERT writes (4 values each).
const nodeBatch = 200

// SaveCheckpoint upserts the tree nodes, in batches, then the checkpoint.
func (s auditStore) SaveCheckpoint(ctx context.Context, cp domain.AuditCheckpoint, nodes []domain.AuditTreeNode) error {
	tenant := string(s.t.tenant)
	for len(nodes) > 0 {
		batch := nodes[:min(len(nodes), nodeBatch)]
		nodes = nodes[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_tree_nodes (tenant_id, level, idx, hash) VALUES `)
		args := make([]any, 0, 4*len(batch))
		for i, n := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?)")
			args = append(args, tenant, n.Level, n.Index, n.Hash)
		}
		q.WriteString(` ON CONFLICT (tenant_id, level, idx) DO UPDATE SET hash = excluded.hash`)
		if _, err := s.t.exec(ctx, q.String(), args...); err != nil {
			return s.t.fail(err, "could not store the audit tree")
		}
	}
	packed := make([]byte, 0, hashSize*len(cp.Range))
	for _, h := range cp.Range {
		packed = append(packed, h...)
	}
	if _, err := s.t.exec(ctx, `INSERT INTO audit_checkpoints (tenant_id, size, root_hash, compact_range, note)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET size = excluded.size,
		root_hash = excluded.root_hash, compact_range = excluded.compact_range, note = excluded.note`,
		tenant, cp.Size, cp.RootHash, packed, cp.Note); err != nil {
		return s.t.fail(err, "could not store the audit checkpoint")
	}
	return nil
}

// TreeNodes reads the hashes of the nodes at places in one statement.
func (s auditStore) TreeNodes(ctx context.Context, places []domain.AuditTreeNode) ([][]byte, error) {
	if len(places) == 0 {
		return [][]byte{}, nil
	}
	var q strings.Builder
	q.WriteString(`SELECT level, idx, hash FROM audit_tree_nodes WHERE tenant_id = ? AND (level, idx) IN (`)
	args := append(make([]any, 0, 1+2*len(places)), string(s.t.tenant))
	for i, p := range places {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, p.Level, p.Index)
	}
	q.WriteString(")")
	var rows []struct {
		Level int    `db:"level"`
		Index int64  `db:"idx"`
		Hash  []byte `db:"hash"`
	}
	if err := s.t.list(ctx, &rows, q.String(), args...); err != nil {
		return nil, s.t.fail(err, "could not read the audit tree")
	}
	found := make(map[[2]int64][]byte, len(rows))
	for _, r := range rows {
		found[[2]int64{int64(r.Level), r.Index}] = r.Hash
	}
	out := make([][]byte, len(places))
	for i, p := range places {
		h, ok := found[[2]int64{int64(p.Level), p.Index}]
		if !ok {
			return nil, domain.StoreViolation(domain.KindInternal, fmt.Errorf("audit tree node (%d, %d) is missing", p.Level, p.Index))
		}
		out[i] = h
	}
	return out, nil
}
