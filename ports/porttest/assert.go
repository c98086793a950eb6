package porttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/configmat/configmat/core/canonjson"
	"github.com/configmat/configmat/core/domain"
)

// wantKind fails t unless err has the given kind and, as every store must,
// the message and details of that kind's domain.StoreError; validation
// errors name their field in their details, which testErrors compares.
func wantKind(t *testing.T, err error, kind domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); got != kind {
		t.Fatalf("error kind = %q (%v), want %q", got, err, kind)
	}
	var de *domain.Error
	if !errors.As(err, &de) || kind == domain.KindInvalid {
		return
	}
	if want := domain.StoreError(kind); de.Message != want.Message || len(de.Details) != 0 {
		t.Fatalf("error = %q with details %v, want the store error %q without details", de.Message, de.Details, want.Message)
	}
}

// detailsOf returns the details of err's domain error, nil for none.
func detailsOf(err error) map[string]any {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Details) == 0 {
		return nil
	}
	return de.Details
}

// mustNot fails t when err is not nil.
func mustNot(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sameTime reports whether two optional times are both nil or the same instant.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// wantTime fails t unless got is the same instant as want.
func wantTime(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", field, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// sameJSON reports whether a and b are the same JSON value (equal canonical
// forms), or both empty.
func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == 0 && len(b) == 0
	}
	ca, err := canonjson.Canonicalize(a)
	if err != nil {
		t.Fatalf("canonicalize %s: %v", a, err)
	}
	cb, err := canonjson.Canonicalize(b)
	if err != nil {
		t.Fatalf("canonicalize %s: %v", b, err)
	}
	return bytes.Equal(ca, cb)
}

// wantSnapshot fails t unless got holds exactly want's values (JSON compared
// semantically, sealed bytes exactly).
func wantSnapshot(t *testing.T, got, want domain.Snapshot) {
	t.Helper()
	if got.Keys() != want.Keys() || len(got) != len(want) {
		t.Fatalf("snapshot has %v, want %v", got.Paths(), want.Paths())
	}
	for obj, keys := range want {
		for key, w := range keys {
			g, ok := got[obj][key]
			switch {
			case !ok:
				t.Errorf("snapshot lacks %s.%s", obj, key)
			case g.Secret != w.Secret:
				t.Errorf("%s.%s secret = %v, want %v", obj, key, g.Secret, w.Secret)
			case !bytes.Equal(g.Sealed, w.Sealed):
				t.Errorf("%s.%s sealed = %x, want %x", obj, key, g.Sealed, w.Sealed)
			case !sameJSON(t, g.Value, w.Value):
				t.Errorf("%s.%s value = %s, want %s", obj, key, g.Value, w.Value)
			}
		}
	}
}
