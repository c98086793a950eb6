package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/configmat/configmat/core/canonjson"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// auditStore holds the bound tenant's audit chain and its head.
type auditStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.AuditStore = (*auditStore)(nil)

// auditRow is a row of audit_entries.
type auditRow struct {
	Seq          int64     `db:"seq"`
	Action       string    `db:"action"`
	Actor        string    `db:"actor"`
	Target       string    `db:"target"`
	Details      []byte    `db:"details"`
	CreatedAt    time.Time `db:"created_at"`
	PreviousHash string    `db:"previous_hash"`
	Hash         string    `db:"hash"`
}

// LockHead creates the chain's head when missing, locks it until the
// transaction ends and returns its sequence number and hash. A tenant that
// does not exist has an empty chain and nothing to lock.
func (s auditStore) LockHead(ctx context.Context) (int64, string, error) {
	if _, err := s.tx.ExecContext(ctx,
		`INSERT INTO audit_heads (tenant_id, seq, hash)
		 SELECT id, 0, $2 FROM tenants WHERE id = $1
		 ON CONFLICT DO NOTHING`,
		s.tenant, domain.GenesisHash); err != nil {
		return 0, "", translate(err, "could not create the audit head")
	}
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	err := s.tx.GetContext(ctx, &head, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 FOR UPDATE`, s.tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.GenesisHash, nil
	}
	if err != nil {
		return 0, "", translate(err, "could not lock the audit head")
	}
	return head.Seq, head.Hash, nil
}

// Append inserts e and moves the head to it, in one statement: the head moves
// only from (e.Seq-1, e.PreviousHash), and the entry is inserted only if it
// did. CONFLICT when the head is elsewhere.
func (s auditStore) Append(ctx context.Context, e domain.AuditEntry) error {
	if err := sameTenant(s.tenant, e.TenantID); err != nil {
		return err
	}
	var details []byte
	if len(e.Details) > 0 {
		details = e.Details
	}
	return execOne(ctx, s.tx, domain.KindConflict, "The audit chain was appended concurrently.", "could not append the audit entry",
		`WITH head AS (
			INSERT INTO audit_heads AS h (tenant_id, seq, hash) VALUES ($1, $2, $8)
			ON CONFLICT (tenant_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
			WHERE h.seq = EXCLUDED.seq - 1 AND h.hash = $7
			RETURNING h.tenant_id
		)
		INSERT INTO audit_entries (tenant_id, seq, action, actor, target, details, created_at, previous_hash, hash)
		SELECT $1, $2, $3, $4, $5, $6, $9, $7, $8 FROM head`,
		s.tenant, e.Seq, e.Action, e.Actor, e.Target, details, e.PreviousHash, e.Hash, e.CreatedAt)
}

// List returns up to limit entries with Seq > afterSeq, by sequence number.
// Details come back in canonical JSON, as they were hashed.
func (s auditStore) List(ctx context.Context, afterSeq int64, limit int) ([]domain.AuditEntry, error) {
	if limit <= 0 {
		limit = domain.DefaultPageSize
	}
	var rows []auditRow
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT seq, action, actor, target, details, created_at, previous_hash, hash FROM audit_entries
		 WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, s.tenant, afterSeq, limit); err != nil {
		return nil, translate(err, "could not list the audit entries")
	}
	out := make([]domain.AuditEntry, 0, len(rows))
	for _, r := range rows {
		e := domain.AuditEntry{
			TenantID:     s.tenant,
			Seq:          r.Seq,
			Action:       r.Action,
			Actor:        r.Actor,
			Target:       r.Target,
			CreatedAt:    r.CreatedAt.UTC(),
			PreviousHash: r.PreviousHash,
			Hash:         r.Hash,
		}
		if r.Details != nil {
			// jsonb keeps the value, not the text: canonicalize it back.
			canonical, err := canonjson.Canonicalize(r.Details)
			if err != nil {
				return nil, domain.Wrap(err, "could not canonicalize audit details")
			}
			e.Details = json.RawMessage(canonical)
		}
		out = append(out, e)
	}
	return out, nil
}
