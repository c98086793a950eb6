package httpapi

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/configmat/configmat/core/domain"
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

// auditCheckpoint answers the tenant's latest signed checkpoint.
func (s *server) auditCheckpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.audit.Checkpoint(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewCheckpoint(cp, s.audit.VerifierKey()))
}

// auditInclusion answers the inclusion proof of ?seq= in the tree of ?size=.
func (s *server) auditInclusion(w http.ResponseWriter, r *http.Request) error {
	seq, err := positiveQuery(r, "seq")
	if err != nil {
		return err
	}
	size, err := positiveQuery(r, "size")
	if err != nil {
		return err
	}
	p, err := s.audit.Inclusion(r.Context(), actorFrom(r.Context()), seq, size)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, inclusionView{Seq: p.Seq, Size: p.Size, LeafHash: hex.EncodeToString(p.LeafHash), Proof: hexAll(p.Proof)})
}

// auditConsistency answers the consistency proof from ?from= to ?to=.
func (s *server) auditConsistency(w http.ResponseWriter, r *http.Request) error {
	from, err := positiveQuery(r, "from")
	if err != nil {
		return err
	}
	to, err := positiveQuery(r, "to")
	if err != nil {
		return err
	}
	p, err := s.audit.Consistency(r.Context(), actorFrom(r.Context()), from, to)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, consistencyView{From: p.From, To: p.To, Proof: hexAll(p.Proof)})
}

// auditReads answers who read resolved configurations, newest hour first,
// filtered by ?asset=, ?environment= and ?since= (RFC 3339).
func (s *server) auditReads(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := domain.ReadFilter{Asset: q.Get("asset"), Environment: q.Get("environment")}
	if raw := q.Get("since"); raw != "" {
		since, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			return invalidField("since", "must be an RFC 3339 time such as 2026-12-01T00:00:00Z")
		}
		f.Since = since
	}
	reads, err := s.audit.Reads(r.Context(), actorFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, readsView{Reads: viewAll(reads, viewRead)})
}
