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
	// catches a lookup that skips hashing (hundreds of times faster). The
	// two kinds alternate, in both orders, so that a busy spell of the
	// machine weighs on both alike.
	bodies := []map[string]string{
		{"email": fx.ownerEmail, "password": "not-" + fx.ownerPassword},
		{"email": "x" + fx.ownerEmail, "password": fx.ownerPassword},
	}
	took := [2][]time.Duration{}
	for round := range 9 {
		for i := range bodies {
			kind := (i + round) % 2
			start := time.Now()
			st.anonymous().post(t, "/api/v1/auth/login", bodies[kind]).want(t, http.StatusUnauthorized)
			took[kind] = append(took[kind], time.Since(start))
		}
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	byPassword, byEmail := median(took[0]), median(took[1])
	if byEmail*3 < byPassword || byPassword*3 < byEmail {
		t.Errorf("a wrong password takes %v but a wrong email %v: the answer times tell them apart", byPassword, byEmail)
	}
}
