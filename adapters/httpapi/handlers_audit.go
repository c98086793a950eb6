package httpapi

import (
	"net/http"
)

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
	return respond(w, http.StatusOK, viewAuditPage(entries, cursor))
}

// verifyAudit walks the tenant's audit chain. An empty chain is valid with
// the genesis hash as its head.
func (s *server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	v, err := s.audit.Verify(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewVerification(v))
}
