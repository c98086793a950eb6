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

// TestWithBinaryParameters checks, with lib/pq's own reading of the
// result, that the store turns binary_parameters on unless the URL sets it,
// in both spellings of a connection string, and keeps the rest.
func TestWithBinaryParameters(t *testing.T) {
	cases := []struct {
		name, dsn string
		want      bool
	}{
		{"URL", "postgres://u:p@h:5432/db?sslmode=disable", true},
		{"URLWithoutQuery", "postgresql://u@h/db", true},
		{"URLOff", "postgres://h/db?binary_parameters=no&sslmode=disable", false},
		{"URLOn", "postgres://h/db?binary_parameters=yes", true},
		{"KeyValue", "host=h dbname=db sslmode=disable", true},
		{"KeyValueOff", "host=h binary_parameters=no dbname=db", false},
		{"KeyValueOffSpaced", "host=h binary_parameters = no", false},
		{"KeyValueQuotedName", "host=h application_name='binary_parameters=no'", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withBinaryParameters(tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			before, err := pq.NewConfig(tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			after, err := pq.NewConfig(got)
			if err != nil {
				t.Fatalf("lib/pq does not read %q: %v", got, err)
			}
			if after.BinaryParameters != tc.want {
				t.Errorf("withBinaryParameters(%q) = %q: binary_parameters %v, want %v", tc.dsn, got, after.BinaryParameters, tc.want)
			}
			after.BinaryParameters = before.BinaryParameters
			if field, same := sameExported(before, after); !same {
				t.Errorf("withBinaryParameters(%q) = %q changed %s too", tc.dsn, got, field)
			}
		})
	}
	if _, err := withBinaryParameters("postgres://u:secret@h:bad-port/db"); !domain.IsKind(err, domain.KindInvalid) || strings.Contains(err.Error(), "secret") {
		t.Errorf("malformed URL: %v, want VALIDATION_ERROR without the URL", err)
	}
}

// sameExported compares the exported fields of two structs of one type and
// names the first that differs.
func sameExported(a, b any) (string, bool) {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		if f := va.Type().Field(i); f.IsExported() && !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return f.Name, false
		}
	}
	return "", true
}

func TestFeedStateReportsTransitions(t *testing.T) {
	type step struct {
		listened, proved bool
		event            pq.ListenerEventType
	}
	listen, prove := step{listened: true}, step{proved: true}
	ev := func(e pq.ListenerEventType) step { return step{event: e} }
	cases := []struct {
		name  string
		steps []step
		want  []bool
	}{
		{"ListenThenConnected", []step{listen, ev(pq.ListenerEventConnected), prove}, []bool{true}},
		{"ConnectedThenListen", []step{ev(pq.ListenerEventConnected), listen, prove}, []bool{true}},
		{"NotLiveUntilProven", []step{listen, ev(pq.ListenerEventConnected)}, nil},
		{"LostBeforeListenReturned", []step{ev(pq.ListenerEventConnected), ev(pq.ListenerEventDisconnected), listen}, nil},
		{"Reconnect", []step{listen, ev(pq.ListenerEventConnected), prove, ev(pq.ListenerEventDisconnected),
			ev(pq.ListenerEventConnectionAttemptFailed), ev(pq.ListenerEventReconnected), prove}, []bool{true, false, true}},
		{"ReconnectedUnproven", []step{listen, ev(pq.ListenerEventConnected), prove, ev(pq.ListenerEventDisconnected),
			ev(pq.ListenerEventReconnected)}, []bool{true, false}},
		{"ProofOfAnEarlierConnection", []step{listen, ev(pq.ListenerEventConnected), prove, ev(pq.ListenerEventReconnected)}, []bool{true, false}},
		{"FailingStart", []step{ev(pq.ListenerEventConnectionAttemptFailed), listen, ev(pq.ListenerEventConnected), prove}, []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []bool
			f := feedState{onState: func(live bool) { got = append(got, live) }}
			for _, s := range tc.steps {
				switch {
				case s.listened:
					f.listening()
				case s.proved:
					f.prove()
				default:
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
	payload, err := json.Marshal(changeMessage(valid))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		payload string
		ok      bool
	}{
		{"Encoded", string(payload), true},
		// The wire format between processes of different releases.
		{"Wire", `{"kind":"values","tenant_id":"t","asset_id":"a","environment":"prod"}`, true},
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

func TestViolation(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want domain.Kind
		ok   bool
	}{
		{"Plain", errors.New("boom"), "", false},
		{"UniqueSlug", &pq.Error{Code: pqerror.UniqueViolation, Constraint: "assets_tenant_slug_key"}, domain.KindAssetExists, true},
		{"UniqueEmail", &pq.Error{Code: pqerror.UniqueViolation, Constraint: "users_email_key"}, domain.KindEmailRegistered, true},
		{"UnknownUnique", &pq.Error{Code: pqerror.UniqueViolation, Constraint: "mystery"}, "", false},
		{"ForeignKey", &pq.Error{Code: pqerror.ForeignKeyViolation, Constraint: "memberships_user_fkey"}, domain.KindUserNotFound, true},
		{"Check", &pq.Error{Code: pqerror.CheckViolation, Constraint: "memberships_role_check"}, domain.KindInvalid, true},
		{"RowLevelSecurity", &pq.Error{Code: pqerror.InsufficientPrivilege}, "", false},
		{"NoRows", sql.ErrNoRows, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kind, ok := dialect{}.Violation(tc.err)
			if kind != tc.want || ok != tc.ok {
				t.Fatalf("Violation = %q, %v; want %q, %v", kind, ok, tc.want, tc.ok)
			}
		})
	}
}
