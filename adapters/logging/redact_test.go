package logging

import (
	"crypto/rand"
	"errors"
	mathrand "math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

func TestRedact(t *testing.T) {
	apiKey, err := domain.NewCredential(domain.APIKeyPrefix, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	token, err := domain.NewCredential(domain.UserTokenPrefix, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text", "asset payments promoted from stage to prod", "asset payments promoted from stage to prod"},
		{"api key", "rejected key " + apiKey + " for tenant acme", "rejected key cmk_[REDACTED] for tenant acme"},
		{"user token", "token=" + token, "token=cmt_[REDACTED]"},
		{"credential glued to text", "x" + apiKey + ",", "xcmk_[REDACTED],"},
		{"display prefix", "prefix cmk_AbCdEfGh", "prefix cmk_[REDACTED]"},
		{"bare prefix", "keys start with cmk_", "keys start with cmk_"},
		{"bearer header", "Authorization: Bearer " + token, "Authorization: Bearer [REDACTED]"},
		{"bearer jwt", "bearer eyJhbGciOi.eyJzdWIi.sig trailing", "bearer [REDACTED] trailing"},
		{"bearer upper case", "BEARER abc", "BEARER [REDACTED]"},
		{"bearer alone", "missing Bearer", "missing Bearer"},
		{"postgres url", "dial postgres://app:s3cret@db:5432/configmat?sslmode=disable failed",
			"dial postgres://app:[REDACTED]@db:5432/configmat?sslmode=disable failed"},
		{"postgresql url, @ in password", "postgresql://app:p@ss@db/x", "postgresql://app:[REDACTED]@db/x"},
		{"redis url without user", "redis://:hunter2@cache:6379/0", "redis://:[REDACTED]@cache:6379/0"},
		{"rediss url with user", `"rediss://default:pw@cache:6380"`, `"rediss://default:[REDACTED]@cache:6380"`},
		{"url without password", "postgres://app@db/configmat", "postgres://app@db/configmat"},
		{"url with port only", "postgres://db:5432/configmat", "postgres://db:5432/configmat"},
		{"two urls", "postgres://a:b@h1/x redis://:c@h2", "postgres://a:[REDACTED]@h1/x redis://:[REDACTED]@h2"},
		{"conninfo password", "host=db user=app password=s3cret dbname=x", "host=db user=app password=[REDACTED] dbname=x"},
		{"conninfo quoted password", "password='se cr\\'et' dbname=x", "password=[REDACTED] dbname=x"},
		{"conninfo spaced", "PASSWORD = s3cret", "PASSWORD=[REDACTED]"},
		{"conninfo sslpassword", "host=db sslpassword=s3cret dbname=x", "host=db sslpassword=[REDACTED] dbname=x"},
		{"environment variable", "PGPASSWORD=s3cret psql", "PGPASSWORD=[REDACTED] psql"},
		{"compound name", "db_password='s3 cret' ok", "db_password=[REDACTED] ok"},
		{"password count is not a password", "passwords=3", "passwords=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactField(t *testing.T) {
	dsnErr := errors.New("dial postgres://app:s3cret@db/x: refused")
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{"password", "hunter2", Redacted},
		{"Token", 42, Redacted},
		{"KEY", "value", Redacted},
		{"api_key", "cmk_abc", Redacted},
		{"Api-Key", "cmk_abc", Redacted},
		{"X-API-Key", "cmk_abc", Redacted},
		{"secret", []byte("raw"), Redacted},
		{"Authorization", "Bearer abc", Redacted},
		{"db_password", "pw", Redacted},
		{"refresh_token", "t", Redacted},
		{"client_secret", "s", Redacted},
		{"encryption_key", "00ff", Redacted},
		{"user", "alice@example.com", "alice@example.com"},
		{"keys", 3, 3},
		{"api_key_id", "01HX", "01HX"},
		{"tokens_issued", 7, 7},
		{"dsn", "redis://:pw@cache", "redis://:[REDACTED]@cache"},
		{"error", dsnErr, "dial postgres://app:[REDACTED]@db/x: refused"},
		{"headers", []string{"Bearer abc", "text/plain"}, []string{"Bearer [REDACTED]", "text/plain"}},
		{"count", 12, 12},
		{"nothing", nil, nil},
		{"target", &url.URL{Scheme: "postgres", User: url.UserPassword("app", "s3cret"), Host: "db", Path: "/x"}, "postgres://app:[REDACTED]@db/x"},
		{"no url", (*url.URL)(nil), (*url.URL)(nil)},
		{"took", 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"config", map[string]any{"password": "pw", "dsn": "redis://:pw@cache", "port": 6379},
			map[string]any{"password": Redacted, "dsn": "redis://:[REDACTED]@cache", "port": 6379}},
		{"fields", logrus.Fields{"token": "t", "nested": map[string]string{"api_key": "k", "host": "h"}},
			logrus.Fields{"token": Redacted, "nested": map[string]string{"api_key": Redacted, "host": "h"}}},
		{"args", []any{"Bearer abc", 1}, []any{"Bearer [REDACTED]", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactField(tt.name, tt.value); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("redactField(%q, %#v) = %#v, want %#v", tt.name, tt.value, got, tt.want)
			}
		})
	}
}

func TestRedactLeavesNoCredential(t *testing.T) {
	for i := 0; i < 50; i++ {
		key, err := domain.NewCredential(domain.APIKeyPrefix, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := Redact("k=" + key + ";"); strings.Contains(got, key[4:]) {
			t.Fatalf("Redact left the credential body in %q", got)
		}
	}
}

func TestMayHoldCredentialNeverHidesARedaction(t *testing.T) {
	inputs := []string{
		"Authorization: BeArEr abc.def", "bearer x", "key cmk_abc123", "token cmt_ZZZ",
		"postgres://u:p@h/db", "redis://:pw@h:6379", "PassWord=x", "sslpassword='a b'",
		"PGPASSWORD=hunter2", "plain message", "duration 12ms", "password is required",
		"pa\u017fsword=secret", "PA\u017f\u017fWORD = 'a b'", "db_pa\u017fsword=x",
	}
	rng := mathrand.New(mathrand.NewPCG(11, 13))
	parts := []string{"pa", "ss", "\u017f", "word", "PASS", "=", " ", "'", "x", "bearer", "BEA", "rer", "cm", "k_", "t_", "://", "u:p@", "h", "\u212a", "é", "_"}
	inputs = append(inputs, randomJoins(rng, parts, 20000, 7)...)
	for _, in := range inputs {
		changed := applyRedactions(in) != in
		if changed && !mayHoldCredential(in) {
			t.Errorf("%q: the pre-check would skip a needed redaction", in)
		}
	}
	for _, in := range []string{"plain message", "request", "/api/v1/assets/{slug}", "password is required"} {
		if mayHoldCredential(in) {
			t.Errorf("%q: the pre-check should let this pass untouched", in)
		}
	}
}

func TestNothingToRedact(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		data logrus.Fields
		want bool
	}{
		{"access line", "request", logrus.Fields{"request_id": "R1", "status": 200, "duration_ms": 1.5, "api_key_id": "k"}, true},
		{"sensitive name", "request", logrus.Fields{"password": "x"}, false},
		{"credential in a value", "request", logrus.Fields{"note": "cmk_abcdef"}, false},
		{"credential in the message", "token cmt_abcdef", nil, false},
		{"an error", "failed", logrus.Fields{"error": errors.New("x")}, false},
		{"a map", "failed", logrus.Fields{"cfg": map[string]any{"a": 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &logrus.Entry{Message: tt.msg, Data: tt.data}
			if got := nothingToRedact(e); got != tt.want {
				t.Errorf("nothingToRedact = %v, want %v", got, tt.want)
			}
		})
	}
}
