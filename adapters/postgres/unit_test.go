package postgres

import (
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/configmat/configmat/core/domain"
)

func TestWithApplicationName(t *testing.T) {
	cases := []struct {
		name, dsn, want string
	}{
		{"URL", "postgres://u:p@h:5432/db?sslmode=disable", "application_name=configmat-listener"},
		{"URLReplacesName", "postgresql://h/db?application_name=web", "application_name=configmat-listener"},
		{"KeyValue", "host=h dbname=db", "host=h dbname=db application_name='configmat-listener'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withApplicationName(tc.dsn, listenerApplicationName)
			if err != nil || !strings.Contains(got, tc.want) || strings.Contains(got, "application_name=web") {
				t.Fatalf("withApplicationName(%q) = %q, %v; want it to contain %q", tc.dsn, got, err, tc.want)
			}
			if u, err := url.Parse(got); err == nil && u.Scheme != "" && u.Query().Get("sslmode") != "" && u.Query().Get("sslmode") != "disable" {
				t.Errorf("query parameters lost: %q", got)
			}
		})
	}
	_, err := withApplicationName("postgres://u:secret@h:bad-port/db", listenerApplicationName)
	if !domain.IsKind(err, domain.KindInvalid) || strings.Contains(err.Error(), "secret") {
		t.Errorf("malformed URL: %v, want VALIDATION_ERROR without the URL", err)
	}
}

func TestSnapshotRoundTripsExactly(t *testing.T) {
	cases := map[string]domain.Snapshot{
		"Empty": {},
		"Values": {
			"app": {
				"object": {Value: json.RawMessage(`{"b": 1,  "a":[1.50, 1e2]}`)},
				"null":   {Value: json.RawMessage(`null`)},
				"html":   {Value: json.RawMessage(`"<&>"`)},
			},
			"secrets": {"password": {Secret: true, Sealed: []byte{0, 1, 0xfe, 0xff}}},
		},
	}
	for name, snapshot := range cases {
		t.Run(name, func(t *testing.T) {
			encoded, err := encodeSnapshot(snapshot)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := decodeSnapshot(encoded)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decoded, snapshot) {
				t.Fatalf("round trip = %#v, want %#v", decoded, snapshot)
			}
		})
	}
	if _, err := decodeSnapshot([]byte(`[1]`)); err == nil {
		t.Error("decoding a JSON array as a snapshot succeeded")
	}
}

func TestFeedStateReportsTransitions(t *testing.T) {
	type step struct {
		listened bool
		event    pq.ListenerEventType
	}
	listen := step{listened: true}
	ev := func(e pq.ListenerEventType) step { return step{event: e} }
	cases := []struct {
		name  string
		steps []step
		want  []bool
	}{
		{"ListenThenConnected", []step{listen, ev(pq.ListenerEventConnected)}, []bool{true}},
		{"ConnectedThenListen", []step{ev(pq.ListenerEventConnected), listen}, []bool{true}},
		{"LostBeforeListenReturned", []step{ev(pq.ListenerEventConnected), ev(pq.ListenerEventDisconnected), listen}, nil},
		{"Reconnect", []step{listen, ev(pq.ListenerEventConnected), ev(pq.ListenerEventDisconnected),
			ev(pq.ListenerEventConnectionAttemptFailed), ev(pq.ListenerEventReconnected)}, []bool{true, false, true}},
		{"FailingStart", []step{ev(pq.ListenerEventConnectionAttemptFailed), listen, ev(pq.ListenerEventConnected)}, []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []bool
			f := feedState{onState: func(live bool) { got = append(got, live) }}
			for _, s := range tc.steps {
				if s.listened {
					f.listening()
				} else {
					f.event(s.event)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("states = %v, want %v", got, tc.want)
			}
			f.stop()
			if f.live {
				t.Error("still live after stop")
			}
		})
	}
}

func TestDecodeChange(t *testing.T) {
	valid := domain.Change{Kind: domain.ChangeValues, TenantID: "t", AssetID: "a", Environment: "prod"}
	payload, _ := json.Marshal(valid)
	cases := []struct {
		name    string
		payload string
		ok      bool
	}{
		{"Valid", string(payload), true},
		{"NotJSON", "hello", false},
		{"NoTenant", `{"kind":"values"}`, false},
		{"UnknownKind", `{"kind":"drop","tenant_id":"t"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeChange(tc.payload)
			if ok != tc.ok || (ok && got != valid) {
				t.Fatalf("decodeChange(%q) = %+v, %v; want ok %v", tc.payload, got, ok, tc.ok)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	cause := errors.New("boom")
	cases := []struct {
		name string
		err  error
		want domain.Kind
	}{
		{"Nil", nil, ""},
		{"Plain", cause, domain.KindInternal},
		{"UniqueSlug", &pq.Error{Code: pqerror.UniqueViolation, Constraint: "assets_tenant_slug_key"}, domain.KindAssetExists},
		{"UniqueEmail", &pq.Error{Code: pqerror.UniqueViolation, Constraint: "users_email_key"}, domain.KindEmailRegistered},
		{"UnknownUnique", &pq.Error{Code: pqerror.UniqueViolation, Constraint: "mystery"}, domain.KindInternal},
		{"ForeignKey", &pq.Error{Code: pqerror.ForeignKeyViolation, Constraint: "memberships_user_fkey"}, domain.KindUserNotFound},
		{"Check", &pq.Error{Code: pqerror.CheckViolation, Constraint: "memberships_role_check"}, domain.KindInvalid},
		{"RowLevelSecurity", &pq.Error{Code: pqerror.InsufficientPrivilege}, domain.KindInternal},
		{"NoRowsIsNotTranslatedHere", sql.ErrNoRows, domain.KindInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := translate(tc.err, "doing something")
			if got := domain.KindOf(err); got != tc.want {
				t.Fatalf("kind = %q, want %q", got, tc.want)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("the cause %v is not kept", tc.err)
			}
		})
	}
}

func TestCursorsAndLimits(t *testing.T) {
	limits := map[int]int{-1: domain.DefaultPageSize, 0: domain.DefaultPageSize, 7: 7, 10_000: domain.MaxPageSize}
	for in, want := range limits {
		if got := pageLimit(in); got != want {
			t.Errorf("pageLimit(%d) = %d, want %d", in, got, want)
		}
	}
	for _, bad := range []string{"x", "0", "-3", "1.5"} {
		if _, err := versionCursor(bad); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("versionCursor(%q) = %v, want VALIDATION_ERROR", bad, err)
		}
	}
	if n, err := versionCursor("12"); n != 12 || err != nil {
		t.Errorf("versionCursor(12) = %d, %v", n, err)
	}
}
