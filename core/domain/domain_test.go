package domain

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func TestCredentials(t *testing.T) {
	key, err := NewCredential(APIKeyPrefix, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != CredentialLength || !strings.HasPrefix(key, "cmk_") {
		t.Fatalf("key %q has the wrong shape", key)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name   string
		prefix string
		s      string
		ok     bool
	}{
		{"valid", APIKeyPrefix, key, true},
		{"other prefix", UserTokenPrefix, key, false},
		{"body changed", APIKeyPrefix, flip(key, 10), false},
		{"checksum changed", APIKeyPrefix, flip(key, CredentialLength-1), false},
		{"too short", APIKeyPrefix, key[:CredentialLength-1], false},
		{"not base62", APIKeyPrefix, key[:8] + "!" + key[9:], false},
		{"empty", APIKeyPrefix, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WellFormedCredential(tt.prefix, tt.s); got != tt.ok {
				t.Errorf("WellFormedCredential = %v, want %v", got, tt.ok)
			}
		})
	}
	if !SameDigest(CredentialDigest(key), CredentialDigest(key)) || SameDigest(CredentialDigest(key), CredentialDigest(flip(key, 10))) {
		t.Error("digests do not compare as they should")
	}
	if _, err := NewCredential(APIKeyPrefix, bytes.NewReader(nil)); KindOf(err) != KindInternal {
		t.Errorf("no randomness: %v", err)
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		role, min Role
		want      bool
	}{
		{RoleOwner, RoleAdmin, true},
		{RoleAdmin, RoleAdmin, true},
		{RoleEditor, RoleAdmin, false},
		{RoleViewer, RoleViewer, true},
		{Role("root"), RoleViewer, false},
	}
	for _, tt := range tests {
		if got := tt.role.AtLeast(tt.min); got != tt.want {
			t.Errorf("%s.AtLeast(%s) = %v", tt.role, tt.min, got)
		}
	}
	if _, err := ParseRole("superuser"); KindOf(err) != KindInvalid {
		t.Errorf("ParseRole(superuser) = %v", err)
	}
	actors := []struct {
		name  string
		actor Actor
		kind  Kind
	}{
		{"admin", Actor{TenantID: "t", UserID: "u", Role: RoleAdmin}, ""},
		{"editor", Actor{TenantID: "t", UserID: "u", Role: RoleEditor}, KindPermissionDenied},
		{"api key", Actor{TenantID: "t", APIKeyID: "k"}, KindPermissionDenied},
		{"user without tenant", Actor{UserID: "u"}, KindTenantNotFound},
		{"nobody", Actor{}, KindUnauthenticated},
	}
	for _, tt := range actors {
		if got := KindOf(tt.actor.Require(RoleAdmin)); got != tt.kind {
			t.Errorf("%s: Require(admin) kind %q, want %q", tt.name, got, tt.kind)
		}
	}
	if SystemActor("t").String() != "system" || (Actor{APIKeyID: "k"}).String() != "api_key:k" {
		t.Error("actor names")
	}
}

func TestValidation(t *testing.T) {
	p := Problems{}
	CheckSlug(p, "slug", "Billing")
	CheckObjectName(p, "object", "db_main")
	CheckKeyName(p, "key", "DATABASE_URL")
	CheckKeyName(p, "bad_key", "a.b")
	CheckText(p, "name", "", MaxNameLength, true)
	CheckText(p, "message", "bell\a", MaxMessageLength, false)
	CheckEmail(p, "email", "ada@example")
	CheckPassword(p, "password", "short")
	CheckValue(p, "value", []byte(`{"a":`))
	CheckValue(p, "huge", []byte(`{"a":[1, 1e400]}`))
	CheckValue(p, "fine", []byte(`{"a":[1.5, -2e300, "1e400"]}`))
	CheckValue(p, "deep", []byte(strings.Repeat("[", MaxValueDepth+1)+strings.Repeat("]", MaxValueDepth+1)))
	CheckValue(p, "deep_enough", []byte(strings.Repeat("[", MaxValueDepth)+strings.Repeat("]", MaxValueDepth)))
	CheckValue(p, "latin1_value", []byte("\"caf\xe9\""))
	CheckValue(p, "utf8_value", []byte(`"café"`))
	err := p.Err()
	var de *Error
	if !errors.As(err, &de) || de.Kind != KindInvalid {
		t.Fatalf("err = %v", err)
	}
	fields := de.Details["fields"].(map[string]any)
	for _, f := range []string{"slug", "bad_key", "name", "message", "email", "password", "value", "latin1_value"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("field %s not reported", f)
		}
	}
	for _, f := range []string{"object", "key", "utf8_value"} {
		if _, ok := fields[f]; ok {
			t.Errorf("valid field %s reported", f)
		}
	}
	if (Problems{}).Err() != nil {
		t.Error("no problems should be no error")
	}
	if got := Slugify("  Acme Corp. (EU)!  "); got != "acme-corp-eu" {
		t.Errorf("Slugify = %q", got)
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("connection reset")
	err := Wrap(cause, "store failed")
	if KindOf(err) != KindInternal || !errors.Is(err, cause) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("Wrap: %v", err)
	}
	if Wrap(nil, "x") != nil || KindOf(nil) != "" || KindOf(cause) != KindInternal {
		t.Error("nil and foreign errors")
	}
	if e := Errorf(KindAssetNotFound, "no %s", "asset").WithDetail("asset_slug", "x"); !IsKind(e, KindAssetNotFound) || e.Details["asset_slug"] != "x" {
		t.Errorf("Errorf: %v", e)
	}
}

func TestSnapshot(t *testing.T) {
	s := Snapshot{"db": {"host": {Value: []byte(`"h"`)}, "pw": {Secret: true, Sealed: []byte{1}}}, "f": {"x": {Value: []byte(`1`)}}}
	if s.Keys() != 3 {
		t.Errorf("Keys = %d", s.Keys())
	}
	if got := strings.Join(s.Paths(), ","); got != "db.host,db.pw,f.x" {
		t.Errorf("Paths = %s", got)
	}
	c := s.Clone()
	delete(c["db"], "pw")
	if s.Keys() != 3 {
		t.Error("Clone shares its maps")
	}
}

func TestPageSize(t *testing.T) {
	for limit, want := range map[int]int{-1: DefaultPageSize, 0: DefaultPageSize, 7: 7, MaxPageSize: MaxPageSize, 10_000: MaxPageSize} {
		if got := (Page{Limit: limit}).Size(); got != want {
			t.Errorf("Page{Limit: %d}.Size() = %d, want %d", limit, got, want)
		}
	}
}
