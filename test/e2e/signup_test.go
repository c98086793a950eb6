package e2e

import (
	"net/http"
	"testing"
)

// TestSignupDisabled checks that POST /api/v1/auth/register answers 403
// PERMISSION_DENIED when ALLOW_SIGNUP=false, creating nobody, while login
// still works for users made on the command line.
func TestSignupDisabled(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		st := startStack(t, kind, map[string]string{"ALLOW_SIGNUP": "false"})
		email, password := unique("closed")+"@example.com", st.newPassword()
		st.anonymous().post(t, "/api/v1/auth/register",
			map[string]string{"email": email, "password": password, "tenant_name": "Closed"}).
			wantError(t, http.StatusForbidden, "PERMISSION_DENIED")
		st.anonymous().post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": password}).
			wantError(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")

		slug := unique("closed")
		for _, args := range [][]string{
			{"tenant", "create", "--slug", slug, "--name", "Closed"},
			{"user", "create", "--email", email, "--tenant", slug, "--role", "owner"},
		} {
			if code, stdout, stderr := st.run(t, password+"\n", args...); code != 0 {
				t.Fatalf("configmat %v exited %d\n%s%s", args, code, stdout, stderr)
			}
		}
		login(t, st, email, password).get(t, "/api/v1/me").want(t, http.StatusOK)
	})
}
