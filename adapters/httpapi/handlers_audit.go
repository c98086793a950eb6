package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/configmat/configmat/core/domain"
)

// auditPage is one page of GET /audit.
type auditPage struct {
	Entries    []domain.AuditEntry `json:"entries"`
	NextCursor *string             `json:"next_cursor"`
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
	if entries == nil {
		entries = []domain.AuditEntry{}
	}
	for i := range entries {
		if len(entries[i].Details) == 0 {
			entries[i].Details = emptyDetails
		}
	}
	return respond(w, http.StatusOK, auditPage{Entries: entries, NextCursor: nextCursor(cursor)})
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
