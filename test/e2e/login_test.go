package e2e

import (
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"
)

// testLoginFailuresAlike checks that a wrong email and a wrong password
// answer the same body (but for the request ID).
func testLoginFailuresAlike(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	wrongPassword := st.anonymous().post(t, "/api/v1/auth/login",
		map[string]string{"email": fx.ownerEmail, "password": "not-" + fx.ownerPassword}).wantError(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	wrongEmail := st.anonymous().post(t, "/api/v1/auth/login",
		map[string]string{"email": "x" + fx.ownerEmail, "password": fx.ownerPassword}).wantError(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	wrongPassword.RequestID, wrongEmail.RequestID = "", ""
	if !reflect.DeepEqual(wrongPassword, wrongEmail) {
		t.Errorf("a wrong password answers %+v but a wrong email %+v", wrongPassword, wrongEmail)
	}

	// Similar time: an unknown email must cost a password hash too. The
	// bound is loose (3x between medians) to hold on a busy machine, yet
	// catches a lookup that skips hashing (hundreds of times faster).
	median := func(body map[string]string) time.Duration {
		var took []time.Duration
		for range 5 {
			start := time.Now()
			st.anonymous().post(t, "/api/v1/auth/login", body).want(t, http.StatusUnauthorized)
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		return took[len(took)/2]
	}
	byPassword := median(map[string]string{"email": fx.ownerEmail, "password": "not-" + fx.ownerPassword})
	byEmail := median(map[string]string{"email": "x" + fx.ownerEmail, "password": fx.ownerPassword})
	if byEmail*3 < byPassword || byPassword*3 < byEmail {
		t.Errorf("a wrong password takes %v but a wrong email %v: the answer times tell them apart", byPassword, byEmail)
	}
}
