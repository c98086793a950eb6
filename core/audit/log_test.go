package audit

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports/mocks"
)

// fixedClock is a clock stopped at one instant.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// auditStore returns a fresh mock audit store.
func auditStore(t *testing.T) *mocks.MockAuditStore {
	t.Helper()
	return mocks.NewMockAuditStore(gomock.NewController(t))
}

func TestAppendMatchesVector(t *testing.T) {
	v := vectors(t)
	clock := fixedClock(time.Date(2026, 3, 14, 17, 9, 27, 1999, time.FixedZone("UTC+2", 2*60*60)))
	actor := domain.Actor{TenantID: vectorTenant, UserID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: domain.RoleEditor}
	details := map[string]any{
		"slug":   "web-api",
		"name":   "Café ☕ é",
		"limits": map[string]any{"ratio": 1.5, "big": 1e21, "zero": 0, "list": []any{1, "x\n", true, nil}},
	}
	a := auditStore(t)
	var got domain.AuditEntry
	gomock.InOrder(
		a.EXPECT().LockHead(gomock.Any()).Return(int64(1), v[0].hash, nil),
		a.EXPECT().Append(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.AuditEntry) error {
			got = e
			return nil
		}),
	)
	if err := NewLog(Deps{Clock: clock}).Append(context.Background(), a, actor, "asset.created", "asset:web<&>api", details); err != nil {
		t.Fatalf("Append: %v", err)
	}
	want := domain.AuditEntry{
		TenantID: vectorTenant, Seq: 2, Action: "asset.created", Actor: "user:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
		Target:       "asset:web<&>api",
		Details:      json.RawMessage(`{"limits":{"big":1e+21,"list":[1,"x\n",true,null],"ratio":1.5,"zero":0},"name":"Café ☕ é","slug":"web-api"}`),
		CreatedAt:    time.Date(2026, 3, 14, 15, 9, 27, 1000, time.UTC),
		PreviousHash: v[0].hash,
		Hash:         v[1].hash,
	}
	if string(got.Details) != string(want.Details) || !got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("appended details %s at %v, want %s at %v", got.Details, got.CreatedAt, want.Details, want.CreatedAt)
	}
	got.Details, want.Details = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("appended\n%+v\nwant\n%+v", got, want)
	}
}

func TestAppendDetails(t *testing.T) {
	tests := []struct {
		name    string
		details any
		want    string
	}{
		{name: "nil", details: nil, want: `{}`},
		{name: "typed nil map", details: map[string]any(nil), want: `{}`},
		{name: "empty struct", details: struct{}{}, want: `{}`},
		{name: "struct", details: struct {
			B string `json:"b"`
			A int    `json:"a"`
		}{B: "<x>", A: 1}, want: `{"a":1,"b":"<x>"}`},
		{name: "raw JSON", details: json.RawMessage(`{"z": 1.0, "a": null}`), want: `{"a":null,"z":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := auditStore(t)
			a.EXPECT().LockHead(gomock.Any()).Return(int64(0), domain.GenesisHash, nil)
			a.EXPECT().Append(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.AuditEntry) error {
				if string(e.Details) != tt.want {
					t.Errorf("details = %s, want %s", e.Details, tt.want)
				}
				if e.Seq != 1 || e.PreviousHash != domain.GenesisHash || e.Actor != "system" {
					t.Errorf("entry %+v, want the first entry by the system", e)
				}
				return nil
			})
			err := NewLog(Deps{Clock: fixedClock(time.Unix(1, 0))}).Append(context.Background(), a, domain.SystemActor("t1"), "tenant.created", "tenant:x", tt.details)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
		})
	}
}

func TestAppendFailures(t *testing.T) {
	lockErr := domain.Errorf(domain.KindUnavailable, "database unavailable")
	appendErr := errors.New("unique violation")
	tests := []struct {
		name    string
		actor   domain.Actor
		action  string
		details any
		expect  func(a *mocks.MockAuditStore)
		wantErr error       // returned unchanged
		kind    domain.Kind // otherwise
	}{
		{name: "no tenant", actor: domain.Actor{UserID: "u"}, action: "a", kind: domain.KindInternal},
		{name: "no action", actor: domain.SystemActor("t1"), kind: domain.KindInternal},
		{name: "details an array", actor: domain.SystemActor("t1"), action: "a", details: []int{1}, kind: domain.KindInternal},
		{name: "details a string", actor: domain.SystemActor("t1"), action: "a", details: "x", kind: domain.KindInternal},
		{name: "details not encodable", actor: domain.SystemActor("t1"), action: "a", details: map[string]any{"c": make(chan int)}, kind: domain.KindInternal},
		{name: "action not UTF-8", actor: domain.SystemActor("t1"), action: "a\xff", kind: domain.KindInternal,
			expect: func(a *mocks.MockAuditStore) {
				a.EXPECT().LockHead(gomock.Any()).Return(int64(0), domain.GenesisHash, nil)
			}},
		{
			name: "LockHead error", actor: domain.SystemActor("t1"), action: "a", wantErr: lockErr,
			expect: func(a *mocks.MockAuditStore) { a.EXPECT().LockHead(gomock.Any()).Return(int64(0), "", lockErr) },
		},
		{
			name: "Append error", actor: domain.SystemActor("t1"), action: "a", wantErr: appendErr,
			expect: func(a *mocks.MockAuditStore) {
				a.EXPECT().LockHead(gomock.Any()).Return(int64(4), domain.GenesisHash, nil)
				a.EXPECT().Append(gomock.Any(), gomock.Any()).Return(appendErr)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := auditStore(t)
			if tt.expect != nil {
				tt.expect(a)
			}
			log := NewLog(Deps{Clock: fixedClock(time.Unix(1, 0))})
			err := log.Append(context.Background(), a, tt.actor, tt.action, "target", tt.details)
			if n := log.Appended(); n != 0 {
				t.Errorf("Appended() = %d after a failed append, want 0", n)
			}
			if tt.wantErr != nil {
				if err != tt.wantErr {
					t.Fatalf("error %v, want %v unchanged", err, tt.wantErr)
				}
				return
			}
			if !domain.IsKind(err, tt.kind) {
				t.Fatalf("error %v, want kind %s", err, tt.kind)
			}
		})
	}
}

func TestAppendBuildsAVerifiableChain(t *testing.T) {
	a := auditStore(t)
	var stored []domain.AuditEntry
	a.EXPECT().LockHead(gomock.Any()).DoAndReturn(func(context.Context) (int64, string, error) {
		if len(stored) == 0 {
			return 0, domain.GenesisHash, nil
		}
		last := stored[len(stored)-1]
		return last.Seq, last.Hash, nil
	}).Times(3)
	a.EXPECT().Append(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.AuditEntry) error {
		stored = append(stored, e)
		return nil
	}).Times(3)
	log := NewLog(Deps{Clock: fixedClock(time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC))})
	actor := domain.Actor{TenantID: "t1", UserID: "u1", Role: domain.RoleOwner}
	for i, action := range []string{domain.ActionTenantCreated, domain.ActionAssetCreated, domain.ActionValuesChanged} {
		if err := log.Append(context.Background(), a, actor, action, "asset:web", map[string]int{"i": i}); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	if n := log.Appended(); n != 3 {
		t.Errorf("Appended() = %d, want 3", n)
	}
	got := VerifyEntries(stored)
	if !got.Valid || got.Entries != 3 || got.HeadHash != stored[2].Hash {
		t.Fatalf("VerifyEntries = %+v, want a valid chain of 3", got)
	}
	if ns := stored[0].CreatedAt.Nanosecond(); ns != 123456000 {
		t.Fatalf("CreatedAt nanoseconds = %d, want truncation to 123456000", ns)
	}
}
