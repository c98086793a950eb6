package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/configmat/configmat/core/domain"
)

// Credential headers, by their canonical keys (the client may spell them in
// any case: net/http canonicalizes what it reads). X-API-Key is "X-Api-Key".
const (
	headerAuthorization = "Authorization"
	headerAPIKey        = "X-Api-Key" // #nosec G101 -- a header name, not a credential
	headerTenant        = "X-Tenant"
)

// actorFrom returns the authenticated actor of a guarded request.
func actorFrom(ctx context.Context) domain.Actor {
	return stateFrom(ctx).authenticated
}

// guard runs before every route's handler: it records the route template,
// authenticates the request as the route's access requires, counts it
// against its rate limit (the authenticated user or API key, else the client
// IP: a failed authentication counts as anonymous), and only then answers an
// authentication failure or calls next with the actor in the request state.
func (s *server) guard(rt route, next http.Handler) http.Handler {
	template := any(rt.path) // boxed once for every access log line
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := lookupState(r.Context())
		if !ok {
			r, st = withNewState(r)
		}
		st.route, st.routeValue = rt.path, template
		if rt.access == accessOpen {
			next.ServeHTTP(w, r)
			return
		}
		actor, authErr := s.authenticate(r, rt.access)
		if authErr != nil {
			actor = domain.Actor{}
		}
		if err := s.limiter.take(r.Context(), w, s.limiter.subjectOf(actor, st.clientIP)); err != nil {
			s.writeError(w, r, err)
			return
		}
		if authErr != nil {
			s.writeError(w, r, authErr)
			return
		}
		if actor.IsUser() || actor.IsAPIKey() {
			st.setActor(actor)
		}
		if (rt.access == accessTenant || rt.access == accessTenantOrAPIKey) && actor.TenantID == "" {
			s.writeError(w, r, domain.Errorf(domain.KindTenantNotFound, "The user is not a member of any tenant."))
			return
		}
		st.authenticated = actor
		next.ServeHTTP(w, r)
	})
}

// authenticate turns the request's credentials into an actor. Anonymous
// routes ignore credentials. API keys are accepted only where access allows
// them; a user token names its tenant with X-Tenant on tenant routes.
func (s *server) authenticate(r *http.Request, a access) (domain.Actor, error) {
	if a == accessAnonymous {
		return domain.Actor{}, nil
	}
	authzs, apiKeys := r.Header[headerAuthorization], r.Header[headerAPIKey]
	if len(authzs) > 1 || len(apiKeys) > 1 {
		return domain.Actor{}, domain.Errorf(domain.KindUnauthenticated,
			"Send one Authorization or X-API-Key header, not several.")
	}
	var authz, apiKey string
	if len(authzs) == 1 {
		authz = authzs[0]
	}
	if len(apiKeys) == 1 {
		apiKey = apiKeys[0]
	}
	switch {
	case authz != "":
		token, ok := bearerToken(authz)
		if !ok {
			return domain.Actor{}, domain.Errorf(domain.KindUnauthenticated, "Use Authorization: Bearer with a user token.")
		}
		tenant := ""
		if a != accessUser {
			tenant = r.Header.Get(headerTenant)
		}
		return s.identity.AuthenticateToken(r.Context(), token, tenant)
	case apiKey != "" && a == accessTenantOrAPIKey:
		return s.identity.AuthenticateAPIKey(r.Context(), apiKey)
	case apiKey != "":
		return domain.Actor{}, domain.Errorf(domain.KindUnauthenticated,
			"API keys are accepted only by GET /api/v1/assets/{slug}/values; this route needs a user token.")
	}
	return domain.Actor{}, domain.Errorf(domain.KindUnauthenticated, "Authentication is required.")
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" value.
func bearerToken(header string) (string, bool) {
	scheme, token, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
