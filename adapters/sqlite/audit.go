package sqlite

import (
	"context"
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.AuditStore = auditStore{}

// auditStore holds the bound tenant's audit chain and its head.
type auditStore struct{ scope }

// LockHead returns the last sequence number and hash (0 and
// domain.GenesisHash for an empty chain); the transaction already holds the
// database's write lock.
func (s auditStore) LockHead(ctx context.Context) (int64, string, error) {
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	err := s.tx.GetContext(ctx, &head, `SELECT seq, hash FROM audit_heads WHERE tenant_id = ?`, string(s.tenant))
	switch {
	case isNoRows(err):
		return 0, domain.GenesisHash, nil
	case err != nil:
		return 0, "", domain.Wrap(err, "could not read the audit head")
	}
	return head.Seq, head.Hash, nil
}

// Append inserts e and moves the head to it. e must extend the chain (its
// Seq the head's plus one, its PreviousHash the head's hash): KindConflict
// otherwise, so that the chain stays gap-free whatever the caller does.
func (s auditStore) Append(ctx context.Context, e domain.AuditEntry) error {
	if err := s.own("audit entry", e.TenantID); err != nil {
		return err
	}
	seq, hash, err := s.LockHead(ctx)
	if err != nil {
		return err
	}
	if e.Seq != seq+1 || e.PreviousHash != hash {
		return domain.Errorf(domain.KindConflict, "The audit entry does not extend the chain head.").WithDetail("seq", seq)
	}
	details := string(e.Details)
	if len(e.Details) == 0 {
		details = "{}"
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO audit_entries (tenant_id, seq, action, actor, target, details, created_at, previous_hash, hash)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(s.tenant), e.Seq, e.Action, e.Actor, e.Target, details, stamp(e.CreatedAt), e.PreviousHash, e.Hash)
	switch {
	case isPrimaryKey(err):
		return domain.Errorf(domain.KindConflict, "The audit sequence number is taken.").WithDetail("seq", e.Seq)
	case isForeignKey(err):
		return domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	case err != nil:
		return domain.Wrap(err, "could not append an audit entry")
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?, ?, ?)
		 ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
		string(s.tenant), e.Seq, e.Hash)
	return domain.Wrap(err, "could not move the audit head")
}

// List returns up to limit entries (domain.DefaultPageSize when limit is not
// positive) with Seq > afterSeq, by sequence number.
func (s auditStore) List(ctx context.Context, afterSeq int64, limit int) ([]domain.AuditEntry, error) {
	if limit <= 0 {
		limit = domain.DefaultPageSize
	}
	var rows []struct {
		Seq          int64     `db:"seq"`
		Action       string    `db:"action"`
		Actor        string    `db:"actor"`
		Target       string    `db:"target"`
		Details      string    `db:"details"`
		CreatedAt    timestamp `db:"created_at"`
		PreviousHash string    `db:"previous_hash"`
		Hash         string    `db:"hash"`
	}
	err := s.tx.SelectContext(ctx, &rows,
		`SELECT seq, action, actor, target, details, created_at, previous_hash, hash
		   FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		string(s.tenant), afterSeq, limit)
	if err != nil {
		return nil, domain.Wrap(err, "could not list audit entries")
	}
	out := make([]domain.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = domain.AuditEntry{
			TenantID: s.tenant, Seq: r.Seq, Action: r.Action, Actor: r.Actor, Target: r.Target,
			Details: json.RawMessage(r.Details), CreatedAt: r.CreatedAt.Time, PreviousHash: r.PreviousHash, Hash: r.Hash,
		}
	}
	return out, nil
}
