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
		`INSERT INTO audit_entries (tenant_id, seq, action, actor, target, details, created_at, previous_hash, hash, tree_nodes, checkpoint)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`,
		[]any{tenant, e.Seq, e.Action, e.Actor, e.Target, details, stamp(e.CreatedAt), e.PreviousHash, e.Hash,
			packNodes(e.TreeNodes), nullable(e.Checkpoint)},
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

// packNodes writes tree hashes one after the other; none is NULL.
func packNodes(nodes [][]byte) []byte {
	if len(nodes) == 0 {
		return nil
	}
	out := make([]byte, 0, hashSize*len(nodes))
	for _, h := range nodes {
		out = append(out, h...)
	}
	return out
}

// Checkpoint returns the newest entry's checkpoint, or Size 0 and no Note.
func (s auditStore) Checkpoint(ctx context.Context) (domain.AuditCheckpoint, error) {
	var row struct {
		Seq  int64  `db:"seq"`
		Note string `db:"checkpoint"`
	}
	err := s.t.get(ctx, &row, `SELECT seq, checkpoint FROM audit_entries
		WHERE tenant_id = ? AND checkpoint IS NOT NULL ORDER BY seq DESC LIMIT 1`, string(s.t.tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.AuditCheckpoint{}, nil
	}
	if err != nil {
		return domain.AuditCheckpoint{}, s.t.fail(err, "could not read the audit checkpoint")
	}
	return domain.AuditCheckpoint{Size: row.Seq, Note: row.Note}, nil
}

// TreeNodes reads the nodes at places from the entries that completed them,
// in one statement: node (level, index) is hash number level of entry
// (index+1) << level.
func (s auditStore) TreeNodes(ctx context.Context, places []domain.AuditTreeNode) ([][]byte, error) {
	if len(places) == 0 {
		return [][]byte{}, nil
	}
	var q strings.Builder
	q.WriteString(`SELECT seq, tree_nodes FROM audit_entries WHERE tenant_id = ? AND seq IN (`)
	args := append(make([]any, 0, 1+len(places)), string(s.t.tenant))
	for i, p := range places {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("?")
		args = append(args, (p.Index+1)<<p.Level)
	}
	q.WriteString(")")
	var rows []struct {
		Seq   int64  `db:"seq"`
		Nodes []byte `db:"tree_nodes"`
	}
	if err := s.t.list(ctx, &rows, q.String(), args...); err != nil {
		return nil, s.t.fail(err, "could not read the audit tree")
	}
	bySeq := make(map[int64][]byte, len(rows))
	for _, r := range rows {
		bySeq[r.Seq] = r.Nodes
	}
	out := make([][]byte, len(places))
	for i, p := range places {
		packed := bySeq[(p.Index+1)<<p.Level]
		at := p.Level * hashSize
		if at+hashSize > len(packed) {
			return nil, domain.StoreViolation(domain.KindInternal, fmt.Errorf("audit tree node (%d, %d) is missing", p.Level, p.Index))
		}
		out[i] = packed[at : at+hashSize : at+hashSize]
	}
	return out, nil
}

// SetTree records the nodes and checkpoint of an entry that has none.
func (s auditStore) SetTree(ctx context.Context, seq int64, nodes [][]byte, checkpoint string) error {
	return s.t.execOne(ctx, domain.KindConflict, "could not record the audit tree",
		`UPDATE audit_entries SET tree_nodes = ?, checkpoint = ? WHERE tenant_id = ? AND seq = ? AND tree_nodes IS NULL`,
		packNodes(nodes), nullable(checkpoint), string(s.t.tenant), seq)
}
