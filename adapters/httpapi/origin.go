package httpapi

import (
	"net/http"

	"github.com/configmat/configmat/core/domain"
)

// refuseCrossOrigin refuses a state-changing request (any method but GET,
// HEAD and OPTIONS) that a browser sent from another origin: one whose
// Sec-Fetch-Site is neither same-origin nor none, or, from a browser that
// does not send Sec-Fetch-Site, whose Origin's host differs from the
// request's Host. It answers 403 PERMISSION_DENIED in the contract's
// format. Requests with neither header (SDKs, curl) pass: no browser made
// them on behalf of a page. The console keeps its token out of cookies, so
// a cross-site request carries no credential anyway; this is the second
// line (net/http's CrossOriginProtection). A reverse proxy in front must
// pass the Host header the browser sent.
func (s *server) refuseCrossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, domain.Errorf(domain.KindPermissionDenied,
			"A state-changing request from another origin is refused.").WithDetail("origin", r.Header.Get("Origin")))
	}))
	return p.Handler(next)
}
