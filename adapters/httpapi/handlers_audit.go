package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
)

// auditPage is one page of GET /audit.
type auditPage struct {
	Entries    []auditEntryView `json:"entries"`
	NextCursor *string          `json:"next_cursor"`
}

// auditEntryView is an audit entry as the API shows it, created_at written
// exactly as hashed, so that a client knowing its tenant's ID (GET /me) can
// recompute the chain on its own (see core/audit).
type auditEntryView struct {
	Seq          int64           `json:"seq"`
	Action       string          `json:"action"`
	Actor        string          `json:"actor"`
	Target       string          `json:"target"`
	Details      json.RawMessage `json:"details"`
	CreatedAt    string          `json:"created_at"`
	PreviousHash string          `json:"previous_hash"`
	Hash         string          `json:"hash"`
}

// viewAuditEntry turns an entry into its API form.
func viewAuditEntry(e domain.AuditEntry) auditEntryView {
	details := e.Details
	if len(details) == 0 {
		details = emptyDetails
	}
	return auditEntryView{
		Seq: e.Seq, Action: e.Action, Actor: e.Actor, Target: e.Target, Details: details,
		CreatedAt: e.CreatedAt.UTC().Format(audit.CreatedAtLayout), PreviousHash: e.PreviousHash, Hash: e.Hash,
	}
}

// auditVerifyValid is the answer of GET /audit/verify for an intact chain.
type auditVerifyValid struct {
	Valid    bool   `json:"valid"`
	Entries  int64  `json:"entries"`
	HeadHash string `json:"head_hash"`
}

// auditVerifyInvalid is the answer of GET /audit/verify for a broken chain.
type auditVerifyInvalid struct {
	Valid           bool   `json:"valid"`
	Entries         int64  `json:"entries"`
	FirstInvalidSeq int64  `json:"first_invalid_seq"`
	Reason          string `json:"reason"`
}

// emptyDetails is the details of an audit entry that recorded none.
var emptyDetails = json.RawMessage(`{}`)

// listAudit pages through the tenant's audit chain, oldest first.
func (s *server) listAudit(w http.ResponseWriter, r *http.Request) error {
	after, err := nonNegativeQuery(r, "after_seq")
	if err != nil {
		return err
	}
	limit, err := limitQuery(r)
	if err != nil {
		return err
	}
	entries, cursor, err := s.audit.List(r.Context(), actorFrom(r.Context()), after, limit)
	if err != nil {
		return err
	}
	views := make([]auditEntryView, len(entries))
	for i, e := range entries {
		views[i] = viewAuditEntry(e)
	}
	return respond(w, http.StatusOK, auditPage{Entries: views, NextCursor: nextCursor(cursor)})
}

// verifyAudit walks the tenant's audit chain. An empty chain is valid with
// the genesis hash as its head.
func (s *server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	v, err := s.audit.Verify(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	if !v.Valid {
		return respond(w, http.StatusOK, auditVerifyInvalid{
			Valid: false, Entries: v.Entries, FirstInvalidSeq: v.FirstInvalidSeq, Reason: v.Reason,
		})
	}
	head := v.HeadHash
	if head == "" {
		head = domain.GenesisHash
	}
	return respond(w, http.StatusOK, auditVerifyValid{Valid: true, Entries: v.Entries, HeadHash: head})
}
