package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	appended, err := s.TryAppend(ctx, e)
	if err != nil || appended {
		return err
	}
	return s.t.missingParent(ctx, []parent{s.t.tenantParent()}, domain.KindConflict)
}

// TryAppend is Append in one statement that locks the head by its key
// (tryAppendStatement; SQLite's one writer needs no lock); false and no
// entry written when the head is not at (e.Seq-1, e.PreviousHash). The
// statement also carries the transaction's queued change notifications
// (ChangeQueue.Returning).
func (s auditStore) TryAppend(ctx context.Context, e domain.AuditEntry) (bool, error) {
	if err := s.t.own(e.TenantID); err != nil {
		return false, err
	}
	details := string(e.Details)
	if len(e.Details) == 0 {
		details = "{}"
	}
	returning := ""
	if s.t.changes != nil {
		returning = s.t.changes.Returning()
	}
	tenant := string(s.t.tenant)
	row := []any{tenant, e.Seq, e.Action, e.Actor, e.Target, details, stamp(e.CreatedAt), e.PreviousHash, e.Hash,
		packNodes(e.TreeNodes), nullable(e.Checkpoint)}
	var appended bool
	var err error
	if s.t.locking.WritableCTE {
		// The head is locked by its key, whatever it holds, and compared
		// once locked: a statement that waited for the transaction holding
		// it compares with what that one committed (a condition on the
		// values would have skipped the row as its snapshot saw it).
		var n int64
		n, err = s.t.execCountRebound(ctx, "could not append the audit entry", s.t.rebind(tryAppendStatement)+returning,
			append([]any{tenant, e.Seq, e.Hash, e.Seq - 1, e.PreviousHash}, row...)...)
		appended = n > 0
	} else {
		// No writable WITH clauses, no notification riding (the dialect's
		// Returning is empty): two statements, one writer.
		appended, err = s.t.tryMoveHead(ctx, "could not append the audit entry",
			`UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ? AND seq = ? AND hash = ?`,
			[]any{e.Seq, e.Hash, tenant, e.Seq - 1, e.PreviousHash}, insertAuditEntry, row)
	}
	if appended && returning != "" {
		s.t.changes.Carried()
	}
	return appended, err
}

// tryAppendStatement moves the head from (seq-1, previous hash) to the
// entry's (seq, hash) and inserts the entry only if it moved. The head is
// locked by its key first (o: a FOR UPDATE, which reads the head's newest
// version once the transaction holding it ends; MATERIALIZED, so that the
// comparison is not pushed below the lock) and compared under the lock;
// when it is elsewhere it stays locked and unchanged.
const tryAppendStatement = `WITH o AS MATERIALIZED (SELECT tenant_id, seq, hash FROM audit_heads WHERE tenant_id = ? FOR UPDATE),
	head AS (UPDATE audit_heads AS h SET seq = ?, hash = ? FROM o
		WHERE h.tenant_id = o.tenant_id AND o.seq = ? AND o.hash = ? RETURNING 1)
	` + insertAuditEntry + ` FROM head`

// insertAuditEntry inserts an entry from its 11 column values.
const insertAuditEntry = `INSERT INTO audit_entries (tenant_id, seq, action, actor, target, details, created_at, previous_hash, hash, tree_nodes, checkpoint)
	SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

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
	args := append(make([]any, 0, 1+len(places)), string(s.t.tenant))
	for _, p := range places {
		args = append(args, (p.Index+1)<<p.Level)
	}
	query := `SELECT seq, tree_nodes FROM audit_entries WHERE tenant_id = ? AND seq IN (` + placeholders(len(places)) + `)`
	var rows []struct {
		Seq   int64  `db:"seq"`
		Nodes []byte `db:"tree_nodes"`
	}
	if err := s.t.list(ctx, &rows, query, args...); err != nil {
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

// readBatch is how many counts one upsert writes (7 values each).
const readBatch = 100

// AddReads upserts counts, adding to the counts already stored.
func (s auditStore) AddReads(ctx context.Context, counts []domain.ReadCount) error {
	tenant := string(s.t.tenant)
	for len(counts) > 0 {
		batch := counts[:min(len(counts), readBatch)]
		counts = counts[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO read_counts (tenant_id, actor, asset, environment, hour, with_secrets, count) VALUES `)
		args := make([]any, 0, 7*len(batch))
		for i, c := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, tenant, c.Actor, c.Asset, c.Environment, stamp(c.Hour.UTC().Truncate(time.Hour)), c.WithSecrets, c.Count)
		}
		q.WriteString(` ON CONFLICT (tenant_id, actor, asset, environment, hour, with_secrets)
			DO UPDATE SET count = read_counts.count + excluded.count`)
		if _, err := s.t.exec(ctx, q.String(), args...); err != nil {
			return s.t.fail(err, "could not record the reads")
		}
	}
	return nil
}

// Reads lists the tenant's read counts, newest hour first.
func (s auditStore) Reads(ctx context.Context, f domain.ReadFilter) ([]domain.ReadCount, error) {
	q := `SELECT actor, asset, environment, hour, with_secrets, count FROM read_counts WHERE tenant_id = ?`
	args := []any{string(s.t.tenant)}
	if f.Asset != "" {
		q += ` AND asset = ?`
		args = append(args, f.Asset)
	}
	if f.Environment != "" {
		q += ` AND environment = ?`
		args = append(args, f.Environment)
	}
	if !f.Since.IsZero() {
		q += ` AND hour > ?`
		args = append(args, stamp(f.Since.UTC().Add(-time.Hour)))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = domain.MaxPageSize
	}
	q += ` ORDER BY hour DESC, actor, asset, environment, with_secrets LIMIT ?`
	args = append(args, limit)
	var rows []struct {
		Actor       string `db:"actor"`
		Asset       string `db:"asset"`
		Environment string `db:"environment"`
		Hour        dbTime `db:"hour"`
		WithSecrets bool   `db:"with_secrets"`
		Count       int64  `db:"count"`
	}
	if err := s.t.list(ctx, &rows, q, args...); err != nil {
		return nil, s.t.fail(err, "could not list the reads")
	}
	out := make([]domain.ReadCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.ReadCount{Actor: r.Actor, Asset: r.Asset, Environment: r.Environment,
			Hour: r.Hour.Time.UTC(), WithSecrets: r.WithSecrets, Count: r.Count})
	}
	return out, nil
}
